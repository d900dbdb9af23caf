/* user_json.c — a user as JSON (user_json.h). */
#include "api/user_json.h"

json_t *user_json(const struct user_record *u)
{
	json_t *orgs = json_array();
	for (size_t i = 0; orgs != NULL && i < u->n_orgs; i++) {
		const struct membership_record *m = &u->orgs[i];
		json_array_append_new(orgs, json_pack("{s:s,s:s,s:s,s:s}", "id", m->org_id, "name",
						      m->org_name, "role", m->role, "clearance",
						      m->clearance));
	}
	return json_pack("{s:s,s:s,s:s,s:s,s:o*}", "id", u->id, "email", u->email, "role", u->role,
			 "status", u->status, "orgs", orgs);
}
