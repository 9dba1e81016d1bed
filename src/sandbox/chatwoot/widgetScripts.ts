/**
 * The browser half of the sandbox's website widget: /packs/js/sdk.js, which a website loads, and the
 * page of the widget's iframe (/widget). They talk as Chatwoot's do, by postMessage strings
 * "chatwoot-widget:<json>", and make the same requests, so a page that works with the sandbox works
 * with Chatwoot. Without Chatwoot's chat UI: no bubble, no conversations, no messages.
 *
 * Copied from Chatwoot 4.x:
 * - app/javascript/packs/sdk.js: `chatwootSDK.run({ websiteToken, baseUrl })` builds window.$chatwoot
 *   and the iframe; `$chatwoot.setUser(identifier, user)` throws unless the identifier is a string or
 *   a number and the user has one of avatar_url, email or name (sdk/cookieHelpers.js hasUserKeys),
 *   skips a user whose hash equals the `cw_user_<website token>` cookie (computeHashForUserData:
 *   SHA-256 of getUserString), else posts `set-user` to the iframe and stores the hash.
 * - app/javascript/sdk/IFrameHelper.js: the iframe is `<baseUrl>/widget?website_token=<token>`, with
 *   `&cw_conversation=<cookie>` when the website has the `cw_conversation` cookie; on `loaded` it sets
 *   that cookie to config.authToken (365 days, SameSite=Lax) and fires the `chatwoot:ready` window
 *   event; `setAuthCookie` replaces the cookie; `error` fires `chatwoot:error` and, for a failed
 *   setUser, forgets the cw_user_ cookie.
 * - app/javascript/widget/store/modules/contacts.js setUser and widget/api/contacts.js: PATCH
 *   /api/v1/widget/contact/set_user<the iframe's query string> with the X-Auth-Token header and
 *   { identifier, email, name, avatar_url, identifier_hash, phone_number, additional_attributes:
 *   { company_name, city, description, country_code, social_profiles }, custom_attributes }; a
 *   widget_auth_token in the answer becomes the new X-Auth-Token and is sent up as `setAuthCookie`.
 */

export const SDK_SCRIPT = `/* Chatwoot sandbox SDK */
(function () {
  'use strict';
  var REQUIRED_USER_KEYS = ['avatar_url', 'email', 'name'];
  var ALLOWED_USER_ATTRIBUTES = REQUIRED_USER_KEYS.concat(['identifier_hash']);

  function getCookie(name) {
    var parts = document.cookie ? document.cookie.split('; ') : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf('=');
      if (decodeURIComponent(parts[i].slice(0, eq)) === name) return decodeURIComponent(parts[i].slice(eq + 1));
    }
    return undefined;
  }
  function setCookie(name, value) {
    document.cookie = encodeURIComponent(name) + '=' + encodeURIComponent(value) +
      '; path=/; max-age=' + 365 * 86400 + '; SameSite=Lax';
  }
  function removeCookie(name) {
    document.cookie = encodeURIComponent(name) + '=; path=/; max-age=0';
  }
  function dispatch(eventName, data) {
    window.dispatchEvent(new CustomEvent(eventName, { detail: data }));
  }
  function userCookieName() {
    return 'cw_user_' + window.$chatwoot.websiteToken;
  }
  function userString(identifier, user) {
    var text = '';
    for (var i = 0; i < ALLOWED_USER_ATTRIBUTES.length; i++) {
      var key = ALLOWED_USER_ATTRIBUTES[i];
      text += key + (user[key] || '');
    }
    return text + 'identifier' + identifier;
  }
  function hashUser(identifier, user) {
    var data = new TextEncoder().encode(userString(identifier, user));
    if (!(window.crypto && window.crypto.subtle)) {
      var hash = 0x811c9dc5;
      for (var i = 0; i < data.length; i++) { hash ^= data[i]; hash = Math.imul(hash, 0x01000193); }
      return Promise.resolve((hash >>> 0).toString(16).padStart(8, '0'));
    }
    return window.crypto.subtle.digest('SHA-256', data).then(function (buffer) {
      return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return (b + 256).toString(16).slice(1); }).join('');
    });
  }
  function frameUrl(baseUrl, websiteToken) {
    return baseUrl + '/widget?website_token=' + websiteToken;
  }
  function frame() {
    return document.getElementById('chatwoot_live_chat_widget');
  }
  function sendMessage(key, value) {
    var message = { event: key };
    for (var name in value || {}) message[name] = value[name];
    frame().contentWindow.postMessage('chatwoot-widget:' + JSON.stringify(message), '*');
  }

  var events = {
    loaded: function (message) {
      setCookie('cw_conversation', message.config.authToken);
      window.$chatwoot.hasLoaded = true;
      if (!window.$chatwoot.resetTriggered) dispatch('chatwoot:ready');
    },
    setAuthCookie: function (message) {
      setCookie('cw_conversation', message.data.widgetAuthToken);
    },
    error: function (message) {
      dispatch('chatwoot:error', message.data);
      if (message.errorType === 'SET_USER_ERROR') removeCookie(userCookieName());
    }
  };

  function run(options) {
    if (window.$chatwoot) return;
    var baseUrl = options.baseUrl;
    var websiteToken = options.websiteToken;
    var settings = window.chatwootSettings || {};
    window.$chatwoot = {
      baseUrl: baseUrl,
      websiteToken: websiteToken,
      hasLoaded: false,
      isOpen: false,
      position: settings.position === 'left' ? 'left' : 'right',
      locale: settings.locale,
      resetTriggered: false,
      setUser: function (identifier, user) {
        if (typeof identifier !== 'string' && typeof identifier !== 'number') {
          throw new Error('Identifier should be a string or a number');
        }
        var hasKeys = false;
        for (var i = 0; i < REQUIRED_USER_KEYS.length; i++) hasKeys = hasKeys || !!(user && user[REQUIRED_USER_KEYS[i]]);
        if (!hasKeys) throw new Error('User object should have one of the keys [avatar_url, email, name]');
        return hashUser(identifier, user).then(function (hash) {
          if (hash === getCookie(userCookieName())) return;
          window.$chatwoot.identifier = identifier;
          window.$chatwoot.user = user;
          sendMessage('set-user', { identifier: identifier, user: user });
          setCookie(userCookieName(), hash);
        });
      },
      reset: function () {
        removeCookie('cw_conversation');
        removeCookie(userCookieName());
        frame().src = frameUrl(baseUrl, websiteToken);
        window.$chatwoot.resetTriggered = true;
      }
    };
    window.addEventListener('message', function (e) {
      if (typeof e.data !== 'string' || e.data.indexOf('chatwoot-widget:') !== 0) return;
      var message = JSON.parse(e.data.replace('chatwoot-widget:', ''));
      if (typeof events[message.event] === 'function') events[message.event](message);
    });
    var iframe = document.createElement('iframe');
    var cookie = getCookie('cw_conversation');
    iframe.src = frameUrl(baseUrl, websiteToken) + (cookie ? '&cw_conversation=' + cookie : '');
    iframe.id = 'chatwoot_live_chat_widget';
    iframe.style.visibility = 'hidden';
    var holder = document.createElement('div');
    holder.className = 'woot-widget-holder woot--hide woot-elements--' + window.$chatwoot.position;
    holder.appendChild(iframe);
    document.body.appendChild(holder);
  }

  window.chatwootSDK = { run: run };
})();
`;

/** The iframe's page (app/views/widgets/show.html.erb sets window.authToken; the widget app does the rest). */
export function widgetPage(options: {
  authToken: string;
  websiteToken: string;
  widgetColor: string;
}): string {
  const globals = JSON.stringify(options).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Chatwoot sandbox widget</title>
<script>
(function () {
  'use strict';
  var settings = ${globals};
  window.authToken = ${JSON.stringify(options.authToken)};
  function post(event, data) {
    var message = { event: event };
    for (var name in data || {}) message[name] = data[name];
    window.parent.postMessage('chatwoot-widget:' + JSON.stringify(message), '*');
  }
  function setUser(identifier, user) {
    var body = {
      identifier: identifier,
      email: user.email,
      name: user.name,
      avatar_url: user.avatar_url,
      identifier_hash: user.identifier_hash,
      phone_number: user.phone_number,
      additional_attributes: {
        company_name: user.company_name,
        city: user.city,
        description: user.description,
        country_code: user.country_code,
        social_profiles: user.social_profiles
      },
      custom_attributes: user.custom_attributes
    };
    fetch('/api/v1/widget/contact/set_user' + window.location.search, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', 'X-Auth-Token': window.authToken },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw data;
        return data;
      });
    }).then(function (data) {
      if (data.widget_auth_token) {
        window.authToken = data.widget_auth_token;
        post('setAuthCookie', { data: { widgetAuthToken: data.widget_auth_token } });
      }
    }).catch(function (data) {
      post('error', { errorType: 'SET_USER_ERROR', data: data });
    });
  }
  window.addEventListener('message', function (e) {
    if (typeof e.data !== 'string' || e.data.indexOf('chatwoot-widget:') !== 0) return;
    var message = JSON.parse(e.data.replace('chatwoot-widget:', ''));
    if (message.event === 'set-user') setUser(message.identifier, message.user || {});
  });
  post('loaded', { config: { authToken: window.authToken, channelConfig: { widgetColor: settings.widgetColor } } });
})();
</script></head><body><div id="app"></div></body></html>
`;
}
