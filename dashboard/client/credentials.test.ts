import t from 'tap';
import { CREATE_CREDENTIALS_COMMAND, parseCredentialsLine, signInFailureMessage, unauthorizedMessage } from './credentials.js';

t.test('parseCredentialsLine splits the file line', async (t) => {
  t.same(parseCredentialsLine('client_id=fpc_abc&client_secret=s3cr%2Bt%3D%3D\n'), { clientId: 'fpc_abc', clientSecret: 's3cr+t==' }, 'decodes and trims the newline');
  t.same(parseCredentialsLine('  client_secret=x&client_id=fpc_abc '), { clientId: 'fpc_abc', clientSecret: 'x' }, 'either order');
});

t.test('parseCredentialsLine leaves a plain id alone', async (t) => {
  t.equal(parseCredentialsLine('fpc_abc'), undefined);
  t.equal(parseCredentialsLine(''), undefined);
  t.equal(parseCredentialsLine('my_client_id=3'), undefined, 'a key that only ends in client_id');
});

t.test('parseCredentialsLine omits missing values', async (t) => {
  t.same(parseCredentialsLine('client_id=fpc_abc'), { clientId: 'fpc_abc' });
  t.same(parseCredentialsLine('client_id=&client_secret=x'), { clientSecret: 'x' });
});

t.test('signInFailureMessage gives actionable text', async (t) => {
  const rejected = signInFailureMessage({ status: 401, error: 'invalid_client', description: 'client authentication failed' });
  t.match(rejected, /^The client id or secret was not accepted/);
  t.notMatch(rejected, /Authorization|Bearer|oauth/i, 'no API words');
  t.match(signInFailureMessage({ status: 0 }), /could not be reached/);
  t.equal(signInFailureMessage({ status: 400, error: 'invalid_scope', description: 'scope read is not granted' }), `These credentials lack the read scope. Create credentials with ${CREATE_CREDENTIALS_COMMAND}.`);
  t.match(signInFailureMessage({ status: 429 }), /Too many sign-in attempts/);
  t.equal(signInFailureMessage({ status: 503, description: 'the store is unavailable' }), 'Sign-in failed (HTTP 503): the store is unavailable.');
  t.equal(signInFailureMessage({ status: 500 }), 'Sign-in failed (HTTP 500).');
});

t.test('unauthorizedMessage is empty before sign-in', async (t) => {
  t.equal(unauthorizedMessage(false), '');
  t.match(unauthorizedMessage(true), /Sign in again/);
});
