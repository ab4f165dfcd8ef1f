/** What every scenario needs to know about this run. */
export interface Context {
  quick: boolean;
  cpus: number;
  /** The production cost, for the service and every baseline alike. */
  bcryptCost: number;
  ghz: string;
  warmupSeconds: number;
  /** Length of one measured run. */
  seconds: number;
  /** Max-throughput runs are repeated this many times, alternating with their baseline. */
  rounds: number;
}
