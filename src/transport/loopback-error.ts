/** LoopBack's error body, the one shape every failure and denial of the REST side and the gateways has. */
export interface LoopBackError {
  /** `details` only for the codes that carry some (LOGIN_FAILED_EMAIL_NOT_VERIFIED: the userId, as LoopBack gives it). */
  error: { statusCode: number; name: 'Error'; message: string; code: string; details?: Readonly<Record<string, string>> };
}

export function loopBackError(statusCode: number, code: string, message: string, details?: Readonly<Record<string, string>>): LoopBackError {
  return { error: { statusCode, name: 'Error', message, code, ...(details && { details }) } };
}
