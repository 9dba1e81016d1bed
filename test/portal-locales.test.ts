/**
 * A help-center portal's locales as Chatwoot renders them and as the migration reads them back.
 * The sandbox: portals/_portal.json.jbuilder renders `config.allowed_locales` as
 * models/_portal_config.json.jbuilder objects ({code, articles_count, categories_count}), and
 * Category#allowed_locales interpolates the list with Ruby's Array#inspect. The product: a portal
 * found already (an earlier run, or one made by hand) gets only the missing locales added, its own
 * and its default kept, and no PATCH when nothing is missing.
 */
import assert from 'node:assert/strict';
import { portalLocalesPatch } from '../src/activities/setup/existingSettings.js';
import { call, type Json, ok, sandboxesPerTest } from './helpers/chatwootApi.js';

const A1 = '/api/v1/accounts/1';

describe('portal locales (portal.rb, category.rb, portals/_portal.json.jbuilder)', () => {
  const start = sandboxesPerTest();

  describe('the sandbox', () => {
    it('renders allowed_locales as {code, articles_count, categories_count}, counted per locale', async () => {
      const sandbox = await start();
      await ok(sandbox, 'POST', `${A1}/portals`, {
        name: 'Help',
        slug: 'help',
        config: { allowed_locales: ['en', 'fr'] },
      });
      const category = await ok(sandbox, 'POST', `${A1}/portals/help/categories`, {
        name: 'Premiers pas',
        slug: 'premiers-pas',
        locale: 'fr',
      });
      await ok(sandbox, 'POST', `${A1}/portals/help/articles`, {
        title: 'Bienvenue',
        content: 'Bonjour',
        author_id: 1,
        category_id: category.payload.id,
      });
      const [portal] = (await ok(sandbox, 'GET', `${A1}/portals`)).payload as Json[];
      assert.deepEqual(portal.config, {
        allowed_locales: [
          { code: 'en', articles_count: 0, categories_count: 0 },
          { code: 'fr', articles_count: 1, categories_count: 1 },
        ],
        default_locale: 'en',
      });
      assert.equal(portal.meta.default_locale, 'en');
    });

    it('names the allowed locales as Ruby inspects an array when refusing a category', async () => {
      const sandbox = await start();
      await ok(sandbox, 'POST', `${A1}/portals`, {
        name: 'Hilfe',
        slug: 'hilfe',
        config: { allowed_locales: ['de', 'en'] },
      });
      const refused = await call(sandbox, 'POST', `${A1}/portals/hilfe/categories`, {
        body: { name: 'Premiers pas', slug: 'premiers-pas', locale: 'fr' },
      });
      assert.equal(refused.status, 422);
      assert.equal(refused.json.message, `Locale fr of category is not part of portal's ["de", "en"].`);
    });
  });

  describe('the migration (portalLocalesPatch on the sandbox’s answers)', () => {
    async function portalAnswer(config?: Record<string, unknown>) {
      const sandbox = await start();
      await ok(sandbox, 'POST', `${A1}/portals`, { name: 'Help', slug: 'intercom-help-center', config });
      return { sandbox, portal: ((await ok(sandbox, 'GET', `${A1}/portals`)).payload as Json[])[0] };
    }

    it('adds the missing locales after the portal’s own and keeps its default', async () => {
      const { sandbox, portal } = await portalAnswer({ allowed_locales: ['de', 'en'], default_locale: 'de' });
      const patch = portalLocalesPatch(portal, ['en', 'fr']);
      assert.deepEqual(patch, { allowed_locales: ['de', 'en', 'fr'], default_locale: 'de' });
      const updated = await ok(sandbox, 'PATCH', `${A1}/portals/intercom-help-center`, { config: patch });
      assert.deepEqual(
        updated.config.allowed_locales.map((locale: Json) => locale.code),
        ['de', 'en', 'fr'],
      );
      assert.equal(updated.config.default_locale, 'de');
      // Read back, nothing is missing any more: a re-run sends no PATCH.
      assert.equal(portalLocalesPatch(updated, ['en', 'fr']), undefined);
    });

    it('reads a portal made without a config as English only', async () => {
      const { portal } = await portalAnswer();
      assert.equal(portalLocalesPatch(portal, ['en']), undefined);
      assert.deepEqual(portalLocalesPatch(portal, ['fr', 'en']), {
        allowed_locales: ['en', 'fr'],
        default_locale: 'en',
      });
    });

    it('reads plain codes too, and a default given only in meta', () => {
      assert.deepEqual(
        portalLocalesPatch({ config: { allowed_locales: ['es'] }, meta: { default_locale: 'es' } }, ['en']),
        { allowed_locales: ['es', 'en'], default_locale: 'es' },
      );
      assert.deepEqual(portalLocalesPatch({ config: null }, ['pt-BR']), {
        allowed_locales: ['en', 'pt-BR'],
        default_locale: 'en',
      });
    });
  });
});
