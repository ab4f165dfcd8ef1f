/** The token of an `authorization` header or metadata value: raw or `Bearer <token>`. */
export function tokenFromAuthorization(value: string | undefined): string {
  return value ? value.replace(/^Bearer\s+/i, '').trim() : '';
}
