// Runs the CLI's main() with the effective uid of nobody. The modules are loaded first, as root, so the
// test does not depend on the checkout being readable by nobody (CI clones into a 0700 directory).
// usage: as-nobody.js <breakglass args...>
import { preloadCommands } from '../../src/cli/commands.js';
import { main } from '../../src/cli/main.js';

// What the commands load only when they run, loaded now while root can still read every file.
await preloadCommands();

// Groups first: root's group 0 would still open root:root 0660 sockets.
process.setgroups!([65534]);
process.setegid!(65534);
process.seteuid!(65534);
const io = {
  out: (t: string) => process.stdout.write(t),
  err: (t: string) => process.stderr.write(t),
  ask: null,
};
process.exitCode = await main(process.argv.slice(2), io);
