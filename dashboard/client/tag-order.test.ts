import t from 'tap';
import { orderTags } from './tag-order.js';

t.test('orderTags puts own tags first', async (t) => {
  const ordered = orderTags({
    hostname: 'web-1.example',
    os: 'linux',
    os_release: '24.04',
    kernel: '6.8.0',
    arch: 'x64',
    platform: 'linux',
    role: 'web',
    env: 'prod',
    agent_group: 'default',
    region: 'eu-west',
  });
  t.same(
    ordered.map(([key]) => key),
    ['env', 'region', 'role', 'hostname', 'os', 'os_release', 'kernel', 'arch', 'platform', 'agent_group'],
  );
  t.same(ordered[0], ['env', 'prod'], 'values stay with their keys');
});

t.test('orderTags sorts own tags by code point', async (t) => {
  t.same(orderTags({ b: '1', B: '2', a: '3' }).map(([key]) => key), ['B', 'a', 'b']);
});

t.test('orderTags handles empty and host-only tags', async (t) => {
  t.same(orderTags({}), []);
  t.same(orderTags({ agent_group: 'g', arch: 'arm64' }).map(([key]) => key), ['arch', 'agent_group']);
});
