/**
 * The script a website includes instead of the Intercom snippet during the rollout:
 *
 *   <script>
 *     window.intercomToChatwoot = {
 *       account: '42', userId: currentUser.id, routerUrl: 'https://router.example.com',
 *       chatwoot: { baseUrl: 'https://chat.example.com', websiteToken: '...',
 *                   user: { name: currentUser.name, email: currentUser.email },
 *                   identifierHash: '<HMAC-SHA256 of the user id, computed on the server>' },
 *       intercom: { appId: 'abc123' },
 *     };
 *   </script>
 *   <script async src="https://router.example.com/loader.js"></script>
 *
 * It asks the router for the account's current percentage, puts the visitor in the same bucket as
 * `bucketOf` in hash.ts (the code below is the same computation, written in ES5 syntax so no build step or
 * transpiler stands between this file and the browser), and loads
 * one widget. Whatever goes wrong (no router, bad answer, no configuration) it falls back to Intercom,
 * the widget every visitor had before the migration.
 *
 * Optional settings: `dryRun: true` decides and records without loading any widget (tests, staging);
 * `timeoutMs` (default 3000) bounds the wait for the router; `chatwoot.settings` becomes
 * window.chatwootSettings; `intercom.settings` is merged into window.intercomSettings. Visitors
 * without a userId get a random id kept in localStorage so they too stay on one side.
 *
 * Identity on Chatwoot: once the widget fires `chatwoot:ready`, a visitor with a userId is identified
 * with `$chatwoot.setUser(userId, user)`. The migration imports each contact under its external id,
 * the user id the site gave Intercom as `user_id`, so Chatwoot's ContactIdentifyAction merges the
 * visitor into the imported contact and its history. `user` is `chatwoot.user`; Chatwoot's SDK refuses
 * one without a name, an e-mail or an avatar_url, so when it has none of them the name and e-mail the
 * site gave Intercom (`intercom.settings.name`, `.email`) are used, and without any the visitor is not
 * identified (a console warning says so). With HMAC identity validation, the site computes
 * HMAC-SHA256(the inbox's hmac_token, userId) on its server and gives it as `chatwoot.identifierHash`
 * (or `chatwoot.user.identifier_hash`); it is sent as `identifier_hash`, which an inbox with
 * "enforce user identity validation" requires.
 *
 * The decision is recorded in `window.intercomToChatwoot.decision` ('chatwoot' | 'intercom'), in the
 * `data-chat-widget` attribute of <html>, and announced by an `intercom-to-chatwoot:decision` event;
 * `window.intercomToChatwoot.ready` is a promise of it. `bucketOf(id)` and `decide(id, percentage)` are
 * exposed on the same object.
 */
export const LOADER_SCRIPT = `/* intercom-to-chatwoot widget loader */
(function () {
  'use strict';
  var BUCKET_COUNT = 10000;
  var VISITOR_ID_KEY = 'intercomToChatwoot.visitorId';
  var config = window.intercomToChatwoot = window.intercomToChatwoot || {};
  if (config.ready) return;

  function fnv1a32(text) {
    var bytes = new TextEncoder().encode(text);
    var hash = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) {
      hash ^= bytes[i];
      hash = Math.imul(hash, 0x01000193);
    }
    return hash >>> 0;
  }

  function mix32(value) {
    var hash = value >>> 0;
    hash ^= hash >>> 16;
    hash = Math.imul(hash, 0x85ebca6b);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    hash ^= hash >>> 16;
    return hash >>> 0;
  }

  function bucketOf(userId) {
    return Math.floor((mix32(fnv1a32(String(userId))) * BUCKET_COUNT) / 4294967296);
  }

  function decide(userId, percentage) {
    return bucketOf(userId) < percentage * 100 ? 'chatwoot' : 'intercom';
  }

  function randomId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }

  function anonymousVisitorId() {
    try {
      var stored = window.localStorage.getItem(VISITOR_ID_KEY);
      if (stored) return stored;
      var created = 'anonymous-' + randomId();
      window.localStorage.setItem(VISITOR_ID_KEY, created);
      return created;
    } catch (error) {
      // Storage blocked (privacy settings): still decide, though this visitor will not be sticky.
      return 'anonymous-' + randomId();
    }
  }

  function scriptOrigin() {
    var script = document.currentScript;
    if (!script || !script.src) return '';
    return script.src.replace(/\\/loader\\.js(?:[?#].*)?$/, '');
  }

  function fetchPercentage(routerUrl, account, timeoutMs) {
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer;
    var deadline = new Promise(function (resolve, reject) {
      timer = setTimeout(function () {
        if (controller) controller.abort();
        reject(new Error('router did not answer within ' + timeoutMs + ' ms'));
      }, timeoutMs);
    });
    var url = routerUrl + '/rollout/' + encodeURIComponent(account) + '.json';
    var request = fetch(url, { credentials: 'omit', signal: controller ? controller.signal : undefined })
      .then(function (response) {
        if (!response.ok) throw new Error('router answered ' + response.status);
        return response.json();
      })
      .then(function (rollout) {
        var percentage = rollout && rollout.percentage;
        if (typeof percentage !== 'number' || !(percentage >= 0 && percentage <= 100)) {
          throw new Error('router gave no percentage');
        }
        return percentage;
      });
    return Promise.race([request, deadline]).then(
      function (percentage) { clearTimeout(timer); return percentage; },
      function (error) { clearTimeout(timer); throw error; }
    );
  }

  function loadScript(src, onload) {
    var script = document.createElement('script');
    script.src = src;
    script.async = true;
    script.defer = true;
    if (onload) script.onload = onload;
    var first = document.getElementsByTagName('script')[0];
    if (first && first.parentNode) first.parentNode.insertBefore(script, first);
    else document.head.appendChild(script);
  }

  function loadChatwoot(userId, identified) {
    var chatwoot = config.chatwoot || {};
    var baseUrl = String(chatwoot.baseUrl || '').replace(/\\/+$/, '');
    if (!baseUrl || !chatwoot.websiteToken) throw new Error('chatwoot.baseUrl and chatwoot.websiteToken are required');
    if (chatwoot.settings) window.chatwootSettings = chatwoot.settings;
    if (identified) {
      var user = chatwootUser(chatwoot, config.intercom || {});
      if (user) {
        window.addEventListener('chatwoot:ready', function () {
          if (!window.$chatwoot) return;
          try {
            var sent = window.$chatwoot.setUser(userId, user);
            if (sent && typeof sent.then === 'function') sent.then(null, reportSetUser);
          } catch (error) {
            reportSetUser(error);
          }
        });
      } else if (window.console) {
        window.console.warn('intercom-to-chatwoot: not identifying the visitor on Chatwoot: give chatwoot.user a name or an email');
      }
    }
    loadScript(baseUrl + '/packs/js/sdk.js', function () {
      window.chatwootSDK.run({ websiteToken: chatwoot.websiteToken, baseUrl: baseUrl });
    });
  }

  function reportSetUser(error) {
    if (window.console) window.console.error('intercom-to-chatwoot: $chatwoot.setUser failed:', error && error.message);
  }

  // What $chatwoot.setUser gets: chatwoot.user, the identifier hash, and, when the user has none of the
  // keys Chatwoot's SDK requires (name, email, avatar_url), the name and e-mail given to Intercom.
  function chatwootUser(chatwoot, intercom) {
    var user = {};
    var given = chatwoot.user || {};
    for (var key in given) {
      if (Object.prototype.hasOwnProperty.call(given, key)) user[key] = given[key];
    }
    if (chatwoot.identifierHash) user.identifier_hash = String(chatwoot.identifierHash);
    if (!user.name && !user.email && !user.avatar_url) {
      var intercomSettings = intercom.settings || {};
      if (intercomSettings.name) user.name = String(intercomSettings.name);
      if (intercomSettings.email) user.email = String(intercomSettings.email);
    }
    return user.name || user.email || user.avatar_url ? user : null;
  }

  function loadIntercom(userId, identified) {
    var intercom = config.intercom || {};
    if (!intercom.appId) throw new Error('intercom.appId is required');
    var settings = { app_id: intercom.appId };
    if (identified) settings.user_id = userId;
    var extra = intercom.settings || {};
    for (var name in extra) {
      if (Object.prototype.hasOwnProperty.call(extra, name)) settings[name] = extra[name];
    }
    window.intercomSettings = settings;
    // The queueing stub from Intercom's own snippet: calls made before the widget arrives are replayed.
    if (typeof window.Intercom !== 'function') {
      var queued = function () { queued.c(arguments); };
      queued.q = [];
      queued.c = function (args) { queued.q.push(args); };
      window.Intercom = queued;
    }
    loadScript('https://widget.intercom.io/widget/' + encodeURIComponent(intercom.appId));
  }

  function record(decision, percentage, bucket) {
    config.decision = decision;
    config.percentage = percentage;
    config.bucket = bucket;
    document.documentElement.setAttribute('data-chat-widget', decision);
    var detail = { decision: decision, percentage: percentage, bucket: bucket };
    var event;
    if (typeof CustomEvent === 'function') {
      event = new CustomEvent('intercom-to-chatwoot:decision', { detail: detail });
    } else {
      event = document.createEvent('CustomEvent');
      event.initCustomEvent('intercom-to-chatwoot:decision', false, false, detail);
    }
    window.dispatchEvent(event);
  }

  config.bucketOf = bucketOf;
  config.decide = decide;

  var identified = config.userId !== undefined && config.userId !== null && String(config.userId) !== '';
  var userId = identified ? String(config.userId) : anonymousVisitorId();
  var routerUrl = String(config.routerUrl || scriptOrigin()).replace(/\\/+$/, '');
  var timeoutMs = typeof config.timeoutMs === 'number' ? config.timeoutMs : 3000;

  var percentagePromise = config.account === undefined || config.account === null || config.account === ''
    ? Promise.reject(new Error('window.intercomToChatwoot.account is not set'))
    : fetchPercentage(routerUrl, String(config.account), timeoutMs);

  config.ready = percentagePromise
    .then(null, function (error) {
      if (window.console) window.console.warn('intercom-to-chatwoot: falling back to Intercom:', error && error.message);
      return 0;
    })
    .then(function (percentage) {
      var decision = decide(userId, percentage);
      record(decision, percentage, bucketOf(userId));
      if (!config.dryRun) {
        try {
          if (decision === 'chatwoot') loadChatwoot(userId, identified);
          else loadIntercom(userId, identified);
        } catch (error) {
          if (window.console) window.console.error('intercom-to-chatwoot: cannot load the ' + decision + ' widget:', error && error.message);
        }
      }
      return decision;
    });
})();
`;
