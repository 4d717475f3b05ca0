import fs from 'node:fs';
import path from 'node:path';

/** Structured, prefixed logging for stack services (one JSON-ish line each). */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(name: string): Logger;
}

export type LogLevel = 'info' | 'warn' | 'error';
/** Where formatted lines go (each ends with a newline). */
export type LogSink = (level: LogLevel, line: string) => void;

/** The terminal: errors to stderr, the rest to stdout. */
export const consoleSink: LogSink = (level, line) => { (level === 'error' ? process.stderr : process.stdout).write(line); };

/**
 * Append every line, with its time, to a file (created with its folder). The test harness
 * sends each stack's log here so a green run prints only the test summary.
 */
export function fileSink(file: string): LogSink {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return (_level, line) => { fs.appendFileSync(file, `${new Date().toISOString()} ${line}`); };
}

/** `quiet` drops info lines (warnings and errors still go to the sink). */
export function createLogger(name: string, quiet = false, sink: LogSink = consoleSink): Logger {
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (quiet && level === 'info') return;
    const extra = fields && Object.keys(fields).length > 0 ? ' ' + JSON.stringify(fields) : '';
    sink(level, `[${name}] ${level === 'info' ? '' : level.toUpperCase() + ' '}${msg}${extra}\n`);
  };
  return {
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (child) => createLogger(`${name}:${child}`, quiet, sink),
  };
}
