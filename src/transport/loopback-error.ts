/** LoopBack's error body, the one shape every failure and denial of the REST side and the gateways has. */
export interface LoopBackError {
  error: { statusCode: number; name: 'Error'; message: string; code: string };
}

export function loopBackError(statusCode: number, code: string, message: string): LoopBackError {
  return { error: { statusCode, name: 'Error', message, code } };
}
