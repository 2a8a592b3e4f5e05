// Who is signed in, as the grid service tells it (GET /v1/auth/me): role, scope, department,
// name and the CSRF value to echo. The token itself stays in an HttpOnly cookie.
export const session = { sub: null, role: null, scope: null, department: null, name: '',
  csrf: null };

// A busy or restarting service (5xx) is not a signed-out person: ask again a few times
// before showing the sign-in form.
async function askWhoAmI() {
  for (let attempt = 1; ; attempt += 1) {
    const response = await fetch('/api/grid/v1/auth/me', { credentials: 'same-origin',
      headers: { Accept: 'application/json' } });
    if (response.status < 500 || attempt === 4) return response;
    await new Promise((resolve) => { setTimeout(resolve, 1000 * attempt); });
  }
}

export async function loadSession() {
  const response = await askWhoAmI();
  if (!response.ok) {
    Object.assign(session, { sub: null, role: null, scope: null, department: null, csrf: null });
    return null;
  }
  Object.assign(session, await response.json());
  keepAlive();
  return session;
}

// A session's token lives minutes (docs/console.md, "Signing out"): grid re-mints it while
// the session is live, so ask well before it expires. Refused (signed out elsewhere, the role
// relieved, or a token grid never started), stop asking: the token then runs out, and the
// next request's 401 shows the sign-in form.
let refreshing = null;
function keepAlive(delay = 0) {
  if (refreshing !== null && delay === 0) return;
  clearTimeout(refreshing);
  refreshing = setTimeout(async () => {
    if (!session.csrf) { refreshing = null; return; }
    let next = null;
    try {
      const response = await fetch('/api/grid/v1/auth/refresh', { method: 'POST',
        credentials: 'same-origin', headers: { Accept: 'application/json',
          'X-CSRF-Token': session.csrf } });
      if (response.ok) next = (await response.json()).expires_in * 1000 / 3;
      else if (response.status >= 500) next = 5000; // grid busy or restarting: try again
    } catch (err) {
      next = 5000;
    }
    refreshing = null;
    if (next !== null) keepAlive(Math.max(next, 1000));
  }, delay);
}

export function signedIn() {
  return Boolean(session.role);
}

export const STAFF = ['grid_worker', 'compound_head', 'building_head', 'unit_head',
  'info_officer', 'community_staff', 'street_staff', 'district_staff', 'city_staff'];
export const HANDLERS = ['grid_worker', 'compound_head', 'building_head', 'unit_head',
  'info_officer'];
export const COMMUNITY = ['community_staff', 'street_staff'];
export const LEADERS = ['district_staff', 'city_staff'];

export function isStaff() {
  return STAFF.includes(session.role) || session.role === 'admin';
}
