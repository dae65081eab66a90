#!/usr/bin/env node
/** The `bookeo-connect` binary: the command line of program.ts, parsed; how it exits is run-command.ts. */
import { buildProgram } from './program.js';
import { runCommand } from './run-command.js';

await runCommand(() => buildProgram().parseAsync(process.argv));
