// Holds the change lock until killed, like a second operator's breakglass in the middle of a change.
// usage: hold-lock.js <stateDir>
import { acquireLock } from '../../src/ops/lock.js';

acquireLock(process.argv[2]!);
process.stdout.write('locked\n');
setInterval(() => {}, 1_000_000);
