import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '../src/sse-parser.js';

function parse(chunks: readonly string[], lastEventId = '') {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const parser = new SseParser(
    { onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms), onComment: (c) => comments.push(c) },
    lastEventId,
  );
  for (const c of chunks) parser.feed(c);
  return { events, retries, comments, lastEventId: parser.lastEventId };
}

describe('SseParser (HTML spec §9.2.6)', () => {
  it('dispatches data on a blank line, type "message" by default', () => {
    const { events } = parse(['data: hello\n\n']);
    expect(events).toEqual([{ type: 'message', data: 'hello', lastEventId: '' }]);
  });

  it('joins data lines with LF and drops the single space after the colon only', () => {
    const { events } = parse(['data:  two spaces\ndata:none\ndata\n\n']);
    expect(events[0]?.data).toBe(' two spaces\nnone\n');
  });

  it('follows the spec example: data "YHOO\\n+2\\n10"', () => {
    const { events } = parse(['data: YHOO\ndata: +2\ndata: 10\n\n']);
    expect(events[0]?.data).toBe('YHOO\n+2\n10');
  });

  it('accepts CRLF, LF and CR line endings, including a CRLF split across chunks', () => {
    expect(parse(['data: a\r\n\r\n']).events.map((e) => e.data)).toEqual(['a']);
    expect(parse(['data: a\r\rdata: b\n\n']).events.map((e) => e.data)).toEqual(['a', 'b']);
    // "\r" then "\n" in the next chunk is one line ending, not an empty line in between.
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r\n']).events.map((e) => e.data)).toEqual(['a\nb']);
  });

  it('reassembles fields cut anywhere across chunks', () => {
    const text = 'id: 7\nevent: tick\ndata: one\ndata: two\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const { events } = parse([text.slice(0, cut), text.slice(cut)]);
      expect(events).toEqual([{ type: 'tick', data: 'one\ntwo', lastEventId: '7' }]);
    }
  });

  it('uses the event field as type and resets it after each event', () => {
    const { events } = parse(['event: add\ndata: 1\n\ndata: 2\n\n']);
    expect(events.map((e) => e.type)).toEqual(['add', 'message']);
  });

  it('keeps the last event ID across events and ignores ids containing NUL', () => {
    const { events, lastEventId } = parse(['id: 1\ndata: a\n\ndata: b\n\nid: x\u0000y\ndata: c\n\n']);
    expect(events.map((e) => e.lastEventId)).toEqual(['1', '1', '1']);
    expect(lastEventId).toBe('1');
  });

  it('updates the last event ID on a data-less event without dispatching it', () => {
    const { events, lastEventId } = parse(['id: 5\n\n']);
    expect(events).toEqual([]);
    expect(lastEventId).toBe('5');
  });

  it('lets an empty id reset the last event ID', () => {
    const { lastEventId } = parse(['id: 3\ndata: a\n\nid\ndata: b\n\n']);
    expect(lastEventId).toBe('');
  });

  it('reports retry only for ASCII digits', () => {
    const { retries } = parse(['retry: 1500\nretry: 1.5\nretry: -1\nretry: abc\nretry:  20\n\n']);
    expect(retries).toEqual([1500]);
  });

  it('reports comments and ignores unknown fields', () => {
    const { events, comments } = parse([': heartbeat\nfoo: bar\ndata: x\n\n']);
    expect(comments).toEqual([' heartbeat']);
    expect(events.map((e) => e.data)).toEqual(['x']);
  });

  it('drops an unterminated event at the end of the stream', () => {
    const { events, lastEventId } = parse(['id: 1\ndata: a\n\nid: 2\ndata: b\n']);
    expect(events.map((e) => e.data)).toEqual(['a']);
    expect(lastEventId).toBe('1');
  });

  it('strips one leading BOM', () => {
    const { events } = parse(['\uFEFFdata: a\n\n']);
    expect(events[0]?.data).toBe('a');
  });

  it('starts from a given last event ID (a resumed connection)', () => {
    const { events } = parse(['data: x\n\n'], '41');
    expect(events[0]?.lastEventId).toBe('41');
  });

  it('treats a field without colon as a field with an empty value', () => {
    const { events } = parse(['data\n\n']);
    expect(events).toEqual([{ type: 'message', data: '', lastEventId: '' }]);
  });
});
