/** Chatwoot's limits, as enforced by the real models (and the brief's stricter ones, noted). */
export const CHATWOOT_LIMITS = {
  messageContentChars: 150_000,
  /** Help-center article bodies; stricter than Chatwoot, which has no explicit cap. */
  longTextChars: 20_000,
  /** Names, titles, keys; Chatwoot enforces it on contact names, the sandbox on all short strings. */
  shortStringChars: 255,
  attachmentsPerMessage: 15,
  attachmentBytes: 40 * 1024 * 1024,
  contactsPerPage: 15,
  conversationsPerPage: 25,
  messagesAfterPage: 100,
  messagesLatestPage: 20,
  csatPerPage: 25,
  articlesPerPage: 25,
} as const;

// Chatwoot's regular expressions (contact.rb, label.rb via RegexHelper, Devise.email_regexp, inbox.rb).
export const E164 = /^\+[1-9]\d{1,14}$/;
export const DEVISE_EMAIL = /^[^@\s]+@[^@\s]+$/;
export const LABEL_TITLE = /^[\p{L}\p{N}_-]+$/u;
export const INBOX_NAME_FORBIDDEN = /[/\\<>@]/;
export const WORD_CHAR = /[\p{L}\p{N}_]/u;
