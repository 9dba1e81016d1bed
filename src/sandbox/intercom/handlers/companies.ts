/**
 * GET /companies/scroll: one open scroll per workspace (400 scroll_exists), expiring after
 * `idleMs` unused; an expired or unknown scroll_param answers 500, meaning "start over".
 */
import { randomUUID } from 'node:crypto';
import type { IntercomDataset } from '../dataset.js';
import { ApiError, type Reply } from '../http.js';

export class CompaniesScroll {
  private scroll: { param: string; offset: number; lastUsedMs: number } | undefined;

  constructor(
    private readonly dataset: IntercomDataset,
    private readonly now: () => number,
    private readonly idleMs: number,
    private readonly pageSize: number,
  ) {}

  next(url: URL): Reply {
    const param = url.searchParams.get('scroll_param');
    const now = this.now();
    if (this.scroll && now - this.scroll.lastUsedMs > this.idleMs) this.scroll = undefined;
    if (!param) {
      if (this.scroll) throw new ApiError(400, 'scroll_exists', 'scroll already exists for this workspace');
      this.scroll = { param: randomUUID(), offset: 0, lastUsedMs: now };
    } else if (!this.scroll || this.scroll.param !== param) {
      throw new ApiError(
        500,
        'server_error',
        'Request failed due to an internal network error. Please restart the scroll operation.',
      );
    }
    const scroll = this.scroll;
    const data = this.dataset.companies.slice(scroll.offset, scroll.offset + this.pageSize);
    scroll.offset += data.length;
    scroll.lastUsedMs = now;
    // The end is an empty page, after which the scroll parameter no longer works.
    if (data.length === 0) this.scroll = undefined;
    return { body: { type: 'list', data, pages: null, total_count: null, scroll_param: scroll.param } };
  }
}
