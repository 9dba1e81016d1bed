/**
 * The help center: collections (one nested in another, one in French) and articles, one of them
 * over-long and one without a body. The French collection and the empty article come after the
 * dice-driven ones and draw nothing from the dice, so the rest of a seed's workspace stays the same.
 */
import type { Admin, Article, Collection } from '../../../clients/intercom/schemas.js';
import type { GeneratorContext } from './context.js';

const LONG_ARTICLE_CHARS = 20_000;

export function buildCollections(context: GeneratorContext, count: number): Collection[] {
  const { dice, startTime, appId } = context;
  const collections: Collection[] = [];
  const names = ['Getting started', 'Billing & payments', 'Troubleshooting', 'API', 'Mobile app'];
  for (let i = 0; i < count; i++) {
    const created = startTime - dice.int(86_400 * 10, 86_400 * 300);
    const id = String(159 + i);
    // The last collection is a section nested in the first, as help centers nest them.
    const parent = i > 0 && i === count - 1 ? (collections[0] as Collection).id : null;
    collections.push({
      id,
      type: 'collection',
      workspace_id: appId,
      name: names[i % names.length] + (i >= names.length ? ` ${i}` : ''),
      url: `http://help-center.example.com/${appId}/collection-${id}`,
      order: i,
      created_at: created,
      updated_at: created + dice.int(0, 86_400 * 5),
      description: i % 2 === 0 ? `Articles about ${names[i % names.length]?.toLowerCase()}` : null,
      icon: 'bookmark',
      parent_id: parent,
      help_center_id: 79,
      default_locale: 'en',
    });
  }
  if (count > 0) {
    // Chatwoot allows a category only in a locale of its portal (Category#allowed_locales).
    const id = String(159 + count);
    const created = startTime - 86_400 * 30;
    collections.push({
      id,
      type: 'collection',
      workspace_id: appId,
      name: 'Premiers pas',
      url: `http://help-center.example.com/${appId}/fr/collection-${id}`,
      order: count,
      created_at: created,
      updated_at: created,
      description: 'Articles en français',
      icon: 'bookmark',
      parent_id: null,
      help_center_id: 79,
      default_locale: 'fr',
    });
  }
  return collections;
}

export function buildArticles(
  context: GeneratorContext,
  count: number,
  collections: Collection[],
  admins: Admin[],
): Article[] {
  const { dice, startTime, appId } = context;
  const articles: Article[] = [];
  for (let i = 0; i < count; i++) {
    const created = startTime - dice.int(86_400 * 5, 86_400 * 250);
    const collection =
      collections.length > 0 ? (collections[i % collections.length] as Collection) : undefined;
    const title =
      [
        'How to reset your password',
        'Understanding your invoice',
        'Exporting data',
        'Using the API',
        'Två språk: svenska',
      ][i % 5] + (i >= 5 ? ` (${i})` : '');
    let body =
      `<h1>${title}</h1><p>This article explains <b>${title.toLowerCase()}</b>.</p>` +
      '<ol><li>Open <i>Settings</i></li><li>Choose <code>Export</code></li></ol>' +
      '<p>See also <a href="https://help.example.com/articles/1">our FAQ</a> 📘</p>';
    if (i === 0) {
      // One article exceeds Chatwoot's 20,000-character limit for ordinary text fields.
      let section = 0;
      while (body.length <= LONG_ARTICLE_CHARS) {
        body += `<h2>Section ${++section}</h2><p>${'Detailed explanation of every option, with examples. '.repeat(8)}</p>`;
      }
    }
    const id = String(39 + i * 2);
    articles.push({
      type: 'article',
      id,
      workspace_id: appId,
      parent_ids: collection ? [collection.id] : [],
      title,
      description: i % 2 === 0 ? `A short guide: ${title}` : '',
      body,
      author_id: (admins[i % admins.length] as Admin).id,
      state: i % 4 === 3 ? 'draft' : 'published',
      created_at: created,
      updated_at: created + dice.int(0, 86_400 * 20),
      url: `http://help-center.example.com/${appId}/en/articles/${id}`,
      parent_id: collection ? collection.id : null,
      parent_type: collection ? 'collection' : null,
      default_locale: 'en',
    });
  }
  const french = collections.find((collection) => collection.default_locale === 'fr');
  if (count > 0 && french) {
    // Intercom keeps articles without a body; Chatwoot requires content (Article validates it).
    const id = String(39 + count * 2);
    const created = startTime - 86_400 * 20;
    articles.push({
      type: 'article',
      id,
      workspace_id: appId,
      parent_ids: [french.id],
      title: 'Brouillon sans contenu',
      description: '',
      body: '',
      author_id: (admins[0] as Admin).id,
      state: 'draft',
      created_at: created,
      updated_at: created,
      url: `http://help-center.example.com/${appId}/fr/articles/${id}`,
      parent_id: french.id,
      parent_type: 'collection',
      default_locale: 'fr',
    });
  }
  return articles;
}
