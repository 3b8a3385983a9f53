import { arch, hostname } from 'node:os';
import t from 'tap';
import { ManualClock } from '../pipeline/clock/index.js';
import { HOST_FACTS_REFRESH_MS, SystemHostFacts, validHostFacts } from './host-facts.js';

const START = Date.parse('2026-01-01T00:00:00Z');

t.test('SystemHostFacts reads this host', async (t) => {
  const facts = await new SystemHostFacts(new ManualClock(START)).read();

  t.equal(facts.hostname, hostname());
  t.equal(facts.arch, arch());
  t.equal(facts.platform, process.platform);
  t.type(facts.kernel, 'string', 'systeminformation reports the kernel');
});

t.test('SystemHostFacts rereads os info hourly', async (t) => {
  const clock = new ManualClock(START);
  let reads = 0;
  const source = new SystemHostFacts(clock, async () => {
    reads++;
    return { distro: 'Debian GNU/Linux', release: String(11 + reads), kernel: '6.1.0' };
  });

  t.match(await source.read(), { os: 'Debian GNU/Linux', osRelease: '12', kernel: '6.1.0' });
  await clock.advance(HOST_FACTS_REFRESH_MS - 1);
  t.match(await source.read(), { osRelease: '12' }, 'reused within the hour');
  t.equal(reads, 1);

  await clock.advance(1);
  t.match(await source.read(), { osRelease: '13' }, 'reread after an hour');
  t.equal(reads, 2);
});

t.test('SystemHostFacts keeps facts after a failed reread', async (t) => {
  const clock = new ManualClock(START);
  let fail = false;
  const source = new SystemHostFacts(clock, async () => {
    if (fail) throw new Error('lsb_release not found');
    return { distro: 'Ubuntu', release: '24.04', kernel: '6.8.0' };
  });

  t.match(await source.read(), { os: 'Ubuntu' });
  fail = true;
  await clock.advance(HOST_FACTS_REFRESH_MS);
  t.match(await source.read(), { os: 'Ubuntu', osRelease: '24.04' });
});

t.test('SystemHostFacts rejects a failed first read', async (t) => {
  const source = new SystemHostFacts(new ManualClock(START), async () => {
    throw new Error('lsb_release not found');
  });
  await t.rejects(source.read(), /lsb_release not found/);
});

t.test('validHostFacts leaves out invalid facts', async (t) => {
  const facts = validHostFacts({
    hostname: ' web-1 ',
    os: '',
    osRelease: 'x'.repeat(257),
    kernel: 'bad\nkernel',
    arch: 'arm64',
  });
  t.same(facts, { hostname: 'web-1', arch: 'arm64' });
});
