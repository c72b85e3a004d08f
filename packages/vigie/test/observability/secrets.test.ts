// The one masking helper: URLs (userinfo password and secret query parameters) and registered
// or caller-held secret values.
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets, maskUrl, registerSecret, scrub, urlSecrets } from '../../src/observability/secrets.js';

afterEach(() => clearSecrets());

describe('maskUrl', () => {
  it('masks the userinfo password and keeps the rest', () => {
    expect(maskUrl('redis://default:s3cret-pw@cache.internal:6380/2')).toBe('redis://default:****@cache.internal:6380/2');
    expect(maskUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('masks password, pass, token, secret and key query parameters, whatever their case', () => {
    const shown = maskUrl('postgres://u@db:5432/x?sslmode=require&password=pw1-aaaa&PASS=pw2-bbbb&Token=tk-cccc&secret=sc-dddd&KEY=ky-eeee&application_name=vigie');
    for (const s of ['pw1-aaaa', 'pw2-bbbb', 'tk-cccc', 'sc-dddd', 'ky-eeee']) expect(shown).not.toContain(s);
    expect(shown).toBe('postgres://u@db:5432/x?sslmode=require&password=****&PASS=****&Token=****&secret=****&KEY=****&application_name=vigie');
  });

  it('masks a percent-encoded parameter name, and shows nothing of an unparseable value', () => {
    expect(maskUrl('redis://h:6379/0?pass%77ord=zzz-secret')).not.toContain('zzz-secret');
    expect(maskUrl('user:pw-secret@not a url')).toBe('****');
  });
});

describe('scrub', () => {
  it('removes registered secrets and the ones given, short registered ones ignored', () => {
    registerSecret('api-key-123456');
    registerSecret('abc');
    expect(scrub('key api-key-123456 and abc and held-secret', ['held-secret', undefined, ''])).toBe('key **** and abc and ****');
  });

  it('scrubs every form of a URL\'s secrets from a driver message', () => {
    const url = 'postgres://u:p%40ss-word@h/x?password=q%2Bw-e%20r&token=tok+en';
    const forms = urlSecrets(url);
    expect(forms).toEqual(expect.arrayContaining(['p%40ss-word', 'p@ss-word', 'q%2Bw-e%20r', 'q+w-e r', 'tok+en', 'tok en']));
    expect(scrub('auth failed for p@ss-word, q+w-e r, tok en', forms)).toBe('auth failed for ****, ****, ****');
  });
});
