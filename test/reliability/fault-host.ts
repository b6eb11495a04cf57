/**
 * A host process for one fault guest: boots it, waits for the VM to stop (or stops a hung one),
 * prints what happened as one JSON line, and then just returns. If any worker thread or timer were
 * left behind, this process would not exit; the test waits for it to.
 */
import { createVm } from '../../vmm/vm.js';
import { testImage } from '../../scripts/build-image.js';

const [name, hangMs] = process.argv.slice(2);
const vm = createVm({ vcpus: 2, kernel: testImage(name!), initrd: '' });
let log = '';
vm.com1.onData((bytes) => { log += Buffer.from(bytes).toString('latin1'); });
vm.start();
let stillRunning: boolean | undefined;
let exitsWhileHung: number[] | undefined;
if (hangMs !== undefined) {
  const counts = () => [0, 1].map((v) => vm.exitCounts(v).reduce((a, b) => a + b, 0));
  const deadline = Date.now() + 10_000;
  while ([0, 1].some((v) => vm.runState(v) !== 'running') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  const before = counts();
  await new Promise((resolve) => setTimeout(resolve, Number(hangMs)));
  stillRunning = vm.state === 'running';
  exitsWhileHung = counts().map((n, v) => n - before[v]!);
  await vm.stop();
}
const reason = await vm.waitForStop();
process.stdout.write(`${JSON.stringify({ reason, stillRunning, exitsWhileHung, runStates: [0, 1].map((v) => vm.runState(v)), log }, (_, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}\n`);
