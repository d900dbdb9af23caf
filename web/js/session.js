// session.js — who is signed in, as the server last said (GET /api/v1/session or the login
// answer), and what that lets the interface offer. The server decides every access anyway:
// this only keeps the interface from offering what would be refused.
import {setCsrfToken} from './api.js';

export const LEVELS = ['public', 'internal', 'confidential', 'restricted'];

// NOTICES: what the user's organisations tell their members and the user has not yet marked
// seen (shown by notices.js).
export const session = {user: null, mustChangePassword: false, notices: []};

// Takes a login or session answer.
export function setSession(answer) {
  session.user = answer ? answer.user : null;
  session.mustChangePassword = Boolean(answer && answer.must_change_password);
  session.notices = answer && Array.isArray(answer.notices) ? answer.notices : [];
  setCsrfToken(answer ? answer.csrf_token : null);
}

export const signedIn = () => session.user !== null;
export const isSysadmin = () => session.user?.role === 'sysadmin';
export const orgs = () => session.user?.orgs || [];
export const membership = (orgId) => orgs().find((o) => o.id === orgId) || null;
export const isOrgAdmin = (orgId) => membership(orgId)?.role === 'org_admin';
export const orgName = (orgId) => membership(orgId)?.name || 'organisation';

// The levels from the lowest up to TOP (none for an unknown TOP).
export const levelsUpTo = (top) => LEVELS.slice(0, LEVELS.indexOf(top) + 1);

// The levels a member of ORG may read and write: up to their clearance.
export const levelsFor = (orgId) => levelsUpTo(membership(orgId)?.clearance);

// Where a user lands after signing in.
export function homeHash() {
  if (isSysadmin()) return '#/admin/orgs';
  const first = orgs()[0];
  return first ? `#/orgs/${encodeURIComponent(first.id)}/records` : '#/welcome';
}
