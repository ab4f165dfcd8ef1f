import { pino } from 'pino';

export type Logger = pino.Logger;

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
