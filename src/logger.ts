import { pino } from 'pino';
import { ErrorCode } from './core/errors.js';

export type Logger = pino.Logger;

/**
 * The level of a failed call's line, by its error code: a call shed under load is the service
 * working as meant and is counted in the metrics, while a line for each, in a storm of them, would
 * spend the CPU the storm is short of.
 */
export const failureLevel = (code: string | undefined): 'debug' | 'warn' => (code === ErrorCode.SERVICE_OVERLOADED ? 'debug' : 'warn');

/**
 * JSON logs on stdout. Known secret-bearing keys are censored wherever they appear, as a net
 * under the rule that code never logs a token, password, hash or database URI in the first place.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'auth-service' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'password', '*.password', 'newPassword', '*.newPassword', 'oldPassword', '*.oldPassword',
        'token', '*.token', 'accessToken', '*.accessToken', 'passwordHash', '*.passwordHash',
        'authorization', '*.authorization', 'headers.authorization', 'uri', 'mongodbUri',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
