import { describe, expect, it } from 'vitest';
import { parseExecQuery, parseLogQuery, parseNodePath } from '../../../node-agent/node-server/node-requests.ts';

describe('parseNodePath', () => {
  it.each([
    ['/containerLogs/default/web/app', { kind: 'containerLogs', namespace: 'default', pod: 'web', container: 'app' }],
    ['/exec/ns/p/c', { kind: 'exec', namespace: 'ns', pod: 'p', container: 'c' }],
    ['/attach/ns/p/c', { kind: 'attach', namespace: 'ns', pod: 'p', container: 'c' }],
    ['/portForward/ns/p', { kind: 'portForward', namespace: 'ns', pod: 'p' }],
    ['/healthz', { kind: 'healthz' }],
    ['/exec/ns/p', undefined],
    ['/portForward/ns/p/c', undefined],
    ['/run/ns/p/c', undefined],
    ['/exec/%E0%A4%A/p/c', undefined],
  ])('%s', (path, expected) => {
    expect(parseNodePath(path)).toEqual(expected);
  });
});

describe('parseLogQuery', () => {
  const now = 1_700_000_000_000;
  it.each([
    ['', { previous: false, runtime: { follow: false, timestamps: false } }],
    ['follow=true&tailLines=5&timestamps=1', { previous: false, runtime: { follow: true, timestamps: true, tail: 5 } }],
    ['sinceSeconds=10&previous=true&limitBytes=3', { previous: true, limitBytes: 3, runtime: { follow: false, timestamps: false, since: now - 10_000 } }],
    ['sinceTime=2023-11-14T22:13:20Z', { previous: false, runtime: { follow: false, timestamps: false, since: 1_700_000_000_000 } }],
  ])('reads "%s"', (query, expected) => {
    expect(parseLogQuery(new URLSearchParams(query), now)).toEqual(expected);
  });

  it.each(['tailLines=-1', 'sinceSeconds=0', 'limitBytes=0', 'sinceTime=yesterday'])('refuses "%s"', (query) => {
    expect(() => parseLogQuery(new URLSearchParams(query), now)).toThrow(RangeError);
  });
});

describe('parseExecQuery', () => {
  it('keeps every command argument in order', () => {
    expect(parseExecQuery(new URLSearchParams('command=sh&command=-c&command=echo+hi&stdout=true&stderr=true'))).toEqual({
      command: ['sh', '-c', 'echo hi'],
      stdin: false,
      stdout: true,
      stderr: true,
      tty: false,
    });
  });

  it('merges stderr into stdout with a terminal', () => {
    expect(parseExecQuery(new URLSearchParams('command=sh&stdin=true&stdout=true&stderr=true&tty=true'))).toMatchObject({ stderr: false, tty: true });
  });

  it('refuses a request that attaches no stream', () => {
    expect(() => parseExecQuery(new URLSearchParams('command=ls'))).toThrow('you must specify at least 1 of stdin, stdout, stderr');
  });
});
