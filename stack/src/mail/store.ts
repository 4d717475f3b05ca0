import { randomBytes } from 'node:crypto';

/** An address as Mailpit's API gives it (Go's net/mail.Address). */
export interface MailAddress { Name: string; Address: string }

/** One received message, kept in memory (the CLI's Mailpit keeps a throwaway inbox too). */
export interface StoredMessage {
  ID: string;
  MessageID: string;
  Read: boolean;
  From: MailAddress | null;
  To: MailAddress[];
  Cc: MailAddress[];
  Bcc: MailAddress[];
  ReplyTo: MailAddress[];
  ReturnPath: string;
  Subject: string;
  /** Received at. */
  Created: Date;
  /** The Date header, else Created. */
  Date: Date;
  Text: string;
  HTML: string;
  Size: number;
  Raw: Buffer;
}

/** Mailpit's storage.MessageSummary (internal/storage/structs.go, axllent/mailpit). */
export interface MessageSummaryJson {
  ID: string; MessageID: string; Read: boolean; From: MailAddress | null; To: MailAddress[]; Cc: MailAddress[];
  Bcc: MailAddress[]; ReplyTo: MailAddress[]; Subject: string; Created: string; Username: string; Tags: string[];
  Size: number; Attachments: number; Snippet: string;
}

/** Mailpit's apiv1.MessagesSummary: GET /api/v1/messages. */
export interface MessagesSummaryJson {
  total: number; unread: number; count: number; messages_count: number; messages_unread: number;
  start: number; tags: string[]; messages: MessageSummaryJson[];
}

export const MAIL_LIMITS = {
  /** Oldest messages are dropped past this many (Mailpit's default --max 500). */
  maxMessages: 500,
  /** Mailpit's snippet: up to 250 characters of the text body. */
  snippetChars: 250,
};

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A 22-character base62 id, the shape of Mailpit's database ids. */
function newId(): string {
  return Array.from(randomBytes(22), (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAIL_LIMITS.snippetChars ? `${flat.slice(0, MAIL_LIMITS.snippetChars)}...` : flat;
}

/** The inbox: newest first, as Mailpit lists it. */
export class MailStore {
  private messages: StoredMessage[] = [];

  add(m: Omit<StoredMessage, 'ID' | 'Read' | 'Created'>): StoredMessage {
    const stored: StoredMessage = { ...m, ID: newId(), Read: false, Created: new Date() };
    this.messages.unshift(stored);
    if (this.messages.length > MAIL_LIMITS.maxMessages) this.messages.length = MAIL_LIMITS.maxMessages;
    return stored;
  }

  /** An id, or "latest" as Mailpit accepts. */
  get(id: string): StoredMessage | undefined {
    return id === 'latest' ? this.messages[0] : this.messages.find((m) => m.ID === id);
  }

  /** Newest first. */
  all(): readonly StoredMessage[] { return this.messages; }

  deleteAll(): void { this.messages = []; }

  deleteIds(ids: string[]): void {
    const drop = new Set(ids);
    this.messages = this.messages.filter((m) => !drop.has(m.ID));
  }

  /** GET /api/v1/messages, or /api/v1/search when `matches` filters (Mailpit's messages_count is the matching total). */
  list(start: number, limit: number, matches: (m: StoredMessage) => boolean = () => true): MessagesSummaryJson {
    const unread = this.messages.filter((m) => !m.Read).length;
    const found = this.messages.filter(matches);
    const page = found.slice(start, start + limit).map(summaryJson);
    return {
      total: this.messages.length, unread, count: page.length, messages_count: found.length,
      messages_unread: found.filter((m) => !m.Read).length, start, tags: [], messages: page,
    };
  }
}

export function summaryJson(m: StoredMessage): MessageSummaryJson {
  return {
    ID: m.ID, MessageID: m.MessageID, Read: m.Read, From: m.From, To: m.To, Cc: m.Cc, Bcc: m.Bcc, ReplyTo: m.ReplyTo,
    Subject: m.Subject, Created: m.Created.toISOString(), Username: '', Tags: [], Size: m.Size, Attachments: 0,
    Snippet: snippet(m.Text),
  };
}

/** Mailpit's storage.Message: GET /api/v1/message/{ID}. */
export function messageJson(m: StoredMessage): Record<string, unknown> {
  return {
    ID: m.ID, MessageID: m.MessageID, From: m.From, To: m.To, Cc: m.Cc, Bcc: m.Bcc, ReplyTo: m.ReplyTo,
    ReturnPath: m.ReturnPath, Subject: m.Subject,
    ListUnsubscribe: { Header: '', Links: [], Errors: '', HeaderPost: '' },
    Date: m.Date.toISOString(), Tags: [], Username: '', Text: m.Text, HTML: m.HTML, Size: m.Size, Inline: [], Attachments: [],
  };
}

const addressText = (a: MailAddress | null): string => (a ? `${a.Name} <${a.Address}>` : '');

/**
 * Mailpit's search syntax, the part tests use: space-separated terms (quotes keep spaces),
 * `to:`, `from:`, `subject:`, `is:read` / `is:unread`, a leading `-` negates; a bare term
 * matches the subject, addresses or body. Case-insensitive substrings.
 */
export function searchFilter(query: string): (m: StoredMessage) => boolean {
  const terms = [...query.matchAll(/(-?)(?:(\w+):)?(?:"([^"]*)"|(\S+))/g)].map((t) => ({
    negate: t[1] === '-', field: (t[2] ?? '').toLowerCase(), value: (t[3] ?? t[4] ?? '').toLowerCase(),
  }));
  return (m) => terms.every((t) => {
    const to = [...m.To, ...m.Cc, ...m.Bcc].map(addressText).join(' ').toLowerCase();
    const from = addressText(m.From).toLowerCase();
    let hit: boolean;
    switch (t.field) {
      case 'to': hit = to.includes(t.value); break;
      case 'from': hit = from.includes(t.value); break;
      case 'subject': hit = m.Subject.toLowerCase().includes(t.value); break;
      case 'is': hit = t.value === 'read' ? m.Read : t.value === 'unread' ? !m.Read : false; break;
      default: {
        const v = t.field ? `${t.field}:${t.value}` : t.value;
        hit = [m.Subject, to, from, m.Text, m.HTML].some((x) => x.toLowerCase().includes(v));
      }
    }
    return t.negate ? !hit : hit;
  });
}
