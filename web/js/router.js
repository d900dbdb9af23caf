// router.js — hash routes after sign-in ('#/orgs/ORG/records/ID'), so that the server needs to
// answer the page at only two paths: / and /invite/TOKEN. A route is a pattern of literal and
// ':name' segments; its view fills the main element.
const routes = [];

// OPTS: access ('public' | 'any' | 'sysadmin' | 'member' | 'org_admin'), the default being
// 'member' for routes with :org and 'any' otherwise.
export function route(pattern, view, opts = {}) {
  const parts = pattern.split('/').filter(Boolean);
  routes.push({parts, view, access: opts.access || (parts.includes(':org') ? 'member' : 'any')});
}

// '#/a/b?x=1' → {path: ['a', 'b'], query: URLSearchParams('x=1')}
export function parseHash(hash) {
  const raw = (hash || '').replace(/^#/, '');
  const q = raw.indexOf('?');
  const pathText = q < 0 ? raw : raw.slice(0, q);
  const path = pathText.split('/').filter(Boolean).map((s) => {
    try { return decodeURIComponent(s); } catch { return s; }
  });
  return {path, query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1))};
}

export function match(path) {
  for (const r of routes) {
    if (r.parts.length !== path.length) continue;
    const params = {};
    let ok = true;
    r.parts.forEach((p, i) => {
      if (p.startsWith(':')) params[p.slice(1)] = path[i];
      else if (p !== path[i]) ok = false;
    });
    if (ok) return {...r, params};
  }
  return null;
}

let renderHook = () => {};
export function onNavigate(fn) { renderHook = fn; }

// Goes to HASH; renders again when it is already the current one (a refresh of the screen).
export function navigate(hash, {replace = false} = {}) {
  if (location.hash === hash || (hash === '#/' && location.hash === '')) {
    renderHook();
  } else if (replace) {
    history.replaceState(null, '', hash);
    renderHook();
  } else {
    location.hash = hash;
  }
}

// A hash link's href for PATH segments (each escaped).
export const href = (...segments) => `#/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;
