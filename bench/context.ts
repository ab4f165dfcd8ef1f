/** What every scenario needs to know about this run. */
export interface Context {
  quick: boolean;
  cpus: number;
  /** The production cost, for the service and every baseline alike. */
  bcryptCost: number;
  ghz: string;
  /** h2load's path when installed: the client for ValidateToken at full speed. */
  h2load: string | undefined;
  warmupSeconds: number;
  /** Length of one measured run. */
  seconds: number;
  /** Extra node flags for every service process (--cpu-prof and its directory, when asked). */
  serviceNodeArgs: string[];
  /** Max-throughput runs are repeated this many times, alternating with their baseline. */
  rounds: number;
}
