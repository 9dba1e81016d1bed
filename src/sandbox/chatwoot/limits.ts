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
  /** GET /contacts/:id/conversations answers the newest 20 and has no pages. */
  contactConversations: 20,
  csatPerPage: 25,
  articlesPerPage: 25,
  /** JsonbAttributesLengthValidator: a top-level string value of at most this many characters... */
  jsonbStringChars: 1_500,
  /** ...and a top-level Integer value of at most this. */
  jsonbIntegerMax: 9_999_999_999,
} as const;

// Chatwoot's regular expressions (contact.rb, label.rb via RegexHelper, Devise.email_regexp, inbox.rb).
export const E164 = /^\+[1-9]\d{1,14}$/;
export const DEVISE_EMAIL = /^[^@\s]+@[^@\s]+$/;
/**
 * RegexHelper::UNICODE_CHARACTER_NUMBER_HYPHEN_UNDERSCORE (lib/regex_helper.rb), which label.rb
 * validates the (already downcased) title with: `\A[\p{L}\p{N}]+[\p{L}\p{N}_-]+\Z`. So at least
 * two characters, the first a letter or digit. Ruby's `\A` is JavaScript's `^` without the m flag;
 * Ruby's `\Z` also matches before one final "\n", hence `(?=\n?$)`: Chatwoot accepts "vip\n".
 */
export const LABEL_TITLE = /^[\p{L}\p{N}]+[\p{L}\p{N}_-]+(?=\n?$)/u;
export const INBOX_NAME_FORBIDDEN = /[/\\<>@]/;
export const WORD_CHAR = /[\p{L}\p{N}_]/u;
