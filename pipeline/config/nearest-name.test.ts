import t from 'tap';
import { editDistance, nearestName } from './nearest-name.js';

t.test('editDistance counts edits', async (t) => {
  t.equal(editDistance('port', 'port'), 0);
  t.equal(editDistance('prot', 'port'), 2, 'a swap is two substitutions');
  t.equal(editDistance('host', 'hosts'), 1);
  t.equal(editDistance('', 'abc'), 3);
});

t.test('nearestName suggests likely typos', async (t) => {
  t.equal(nearestName('prot', ['host', 'port', 'tls']), 'port');
  t.equal(nearestName('PORT', ['port']), 'port', 'case is ignored');
  t.equal(nearestName('listen', ['host', 'port']), undefined, 'too far from every candidate');
  t.equal(nearestName('ab', ['xy']), undefined, 'needs fewer edits than the name has characters');
});
