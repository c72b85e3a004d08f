/** One dispatched Server-Sent Event (HTML spec §9.2.6). */
export interface SseEvent {
  /** `event:` field, "message" when absent. */
  readonly type: string;
  /** `data:` lines joined with "\n". */
  readonly data: string;
  /** Last event ID after this event (persists across events, as `MessageEvent.lastEventId`). */
  readonly lastEventId: string;
}

/** Callbacks of the parser. */
export interface SseParserHandlers {
  onEvent(event: SseEvent): void;
  /** `retry:` field with a valid integer: the new reconnection time, ms. */
  onRetry?(ms: number): void;
  /** Comment line (starts with ":"), without the colon; servers use them as heartbeats. */
  onComment?(text: string): void;
}

/**
 * Incremental parser of the `text/event-stream` format, exactly per the HTML spec: lines end with
 * CRLF, LF or CR (a CRLF split across chunks counts once); a leading BOM is dropped; `data`,
 * `event`, `id` (ignored if it contains U+0000) and `retry` (ASCII digits only) fields; other
 * fields ignored; a blank line dispatches; an event without data is not dispatched but still
 * updates the last event ID; an unterminated event at end of stream is dropped (`feed` only, no
 * flush), which is what makes resumption with Last-Event-ID exact.
 */
export class SseParser {
  private partial = '';
  private skipLeadingLF = false;
  private started = false;
  private data = '';
  private hasData = false;
  private eventType = '';
  private idBuffer: string;
  private lastId: string;

  /** `lastEventId` seeds the id buffer, as a reconnecting EventSource does. */
  constructor(
    private readonly handlers: SseParserHandlers,
    lastEventId = '',
  ) {
    this.idBuffer = lastEventId;
    this.lastId = lastEventId;
  }

  /** Last event ID set by the last dispatch (or the seed value). */
  get lastEventId(): string {
    return this.lastId;
  }

  /** Feeds decoded text; dispatches every complete event it contains. */
  feed(text: string): void {
    if (text.length === 0) return;
    let chunk = text;
    if (!this.started) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    let start = 0;
    if (this.skipLeadingLF) {
      this.skipLeadingLF = false;
      if (chunk.charCodeAt(0) === 10) start = 1;
    }
    const n = chunk.length;
    for (let i = start; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.partial === '' ? chunk.slice(start, i) : this.partial + chunk.slice(start, i);
      this.partial = '';
      if (c === 13) {
        if (i + 1 < n) {
          if (chunk.charCodeAt(i + 1) === 10) i++;
        } else {
          // CR at the very end: a LF opening the next chunk belongs to this line ending.
          this.skipLeadingLF = true;
        }
      }
      start = i + 1;
      this.line(line);
    }
    if (start < n) this.partial += chunk.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) {
      this.handlers.onComment?.(line.slice(1));
      return;
    }
    let field: string;
    let value: string;
    if (colon < 0) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data = this.hasData ? `${this.data}\n${value}` : value;
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.idBuffer = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.handlers.onRetry?.(Number(value));
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    this.lastId = this.idBuffer;
    if (!this.hasData) {
      this.eventType = '';
      return;
    }
    const event: SseEvent = { type: this.eventType === '' ? 'message' : this.eventType, data: this.data, lastEventId: this.lastId };
    this.data = '';
    this.hasData = false;
    this.eventType = '';
    this.handlers.onEvent(event);
  }
}
