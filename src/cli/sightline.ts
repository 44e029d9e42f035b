#!/usr/bin/env node
/**
 * `sightline <command>`: operator commands over what the services wrote. One command for
 * now, `timeline`.
 */
import { EXIT_OK, EXIT_USAGE, runTimeline, type CliIo } from './timelineCommand';

export const USAGE = `Usage: sightline <command> [arguments]

Commands:
  timeline <request_id | trace_id> [log files…]   one request's timeline from the services' JSON logs

Run "sightline <command> --help" for a command's options.
`;

/** Runs one command; resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'timeline':
      return runTimeline(rest, io);
    case '-h':
    case '--help':
    case 'help':
      io.stdout.write(USAGE);
      return EXIT_OK;
    case undefined:
      io.stderr.write(USAGE);
      return EXIT_USAGE;
    default:
      io.stderr.write(`sightline: unknown command ${JSON.stringify(command.slice(0, 64))}\n\n${USAGE}`);
      return EXIT_USAGE;
  }
}

if (require.main === module) {
  // A reader that leaves early (`| head`) is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`sightline: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 70;
    },
  );
}
