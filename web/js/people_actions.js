// people_actions.js — the two member actions that need a confirmation first: removing a member
// from the organisation, and resetting their sign-in (which gives a one-time link to hand over).
import * as api from './api.js';
import {navigate} from './router.js';
import {setSession, homeHash} from './session.js';
import {errorText, confirmDialog, toast} from './ui.js';
import {linkBox} from './linkbox.js';

// After a change to one's own membership the session says something new (another clearance,
// no longer an administrator here, or no longer a member): read it, then draw this screen again
// for it, or go to the start page when it may no longer be shown.
export async function afterOwnChange(stillAdmin) {
  try {
    setSession(await api.get('/api/v1/session'));
  } catch { /* a 401 is handled by the app */ }
  navigate(stillAdmin ? location.hash : homeHash());
}

export async function removeMember(m, ctx, self) {
  const yes = await confirmDialog(self ? `Leave ${ctx.orgName}?` : `Remove ${m.email} from ${ctx.orgName}?`,
    self
      ? `You lose access to ${ctx.orgName} at once. Only another administrator can invite you back.`
      : `${m.email} loses access at once: their very next request is refused. The records and files stay with ${ctx.orgName}; their account stays for any other organisation they belong to.`,
    self ? 'Leave organisation' : 'Remove member');
  if (!yes) return;
  ctx.clear();
  try {
    await api.del(api.orgPath(ctx.org, 'members', api.seg(m.user_id)));
    toast(`${m.email} has been removed.`);
    if (self) { await afterOwnChange(false); return; }
    ctx.say('ok', `${m.email} has been removed from ${ctx.orgName}.`);
    await ctx.refresh();
  } catch (err) {
    ctx.say('error', errorText(err, `Removing ${m.email}`));
  }
}

export async function resetMember(m, ctx) {
  const yes = await confirmDialog(`Reset the sign-in of ${m.email}?`,
    `Their password, their authenticator app and every session they have stop working at once. You get a single-use link, valid for 72 hours, with which they choose a new password and set up their authenticator again. Use it when they have lost their phone or forgotten their password.`,
    'Reset sign-in');
  if (!yes) return;
  ctx.clear();
  try {
    const r = await api.post(api.orgPath(ctx.org, 'members', api.seg(m.user_id), 'reset'));
    ctx.showLink(linkBox({
      lead: [`The sign-in of ${m.email} has been reset. Give them this link:`],
      url: r.url, expiresAt: r.expires_at, id: 'reset-url', label: 'Reset link',
      notes: [
        `Their old password, authenticator and sessions have stopped working already.`,
        `Give the link to ${m.email} yourself, by a channel you trust: in person, or by phone on a number you already know. Do not send it to an email account or phone that may be in someone else's hands: whoever opens it first chooses the password.`,
      ],
      onClose: ctx.hideLink,
    }));
    toast(`The sign-in of ${m.email} has been reset.`);
    await ctx.refresh();
  } catch (err) {
    ctx.say('error', errorText(err, `Resetting the sign-in of ${m.email}`));
  }
}
