// Copies the parser that peggy generates (JavaScript, not compiled by tsc)
// next to the compiled grammar in dist/, where the built CLI imports it.
import { cpSync } from 'node:fs';

cpSync('grammar/generated', 'dist/grammar/generated', { recursive: true });
