// REGISTER with refresh; see sip_registration.h.
#include "signaling/sip/sip_registration.h"

#include <cstdlib>

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>

namespace trunkgw::sip {

Registrations::Registrations(nua_t* nua, std::vector<RegistrationTarget> targets) : _nua(nua)
{
    for (auto& t : targets) {
        _counters[t.trunk];
        _bindings.push_back(Binding{std::move(t), nullptr, 1});  // due at the first tick
    }
}

Registrations::~Registrations()
{
    for (Binding& b : _bindings) {
        if (b.nh != nullptr) {
            nua_handle_destroy(b.nh);
        }
    }
}

std::vector<RegistrationTarget> Registrations::targets() const
{
    std::vector<RegistrationTarget> v;
    for (const Binding& b : _bindings) {
        v.push_back(b.target);
    }
    return v;
}

void Registrations::tick(int64_t now_ms)
{
    for (Binding& b : _bindings) {
        if (b.next_ms == 0 || now_ms < b.next_ms) {
            continue;
        }
        if (b.nh != nullptr) {
            nua_handle_destroy(b.nh);
        }
        const std::string to = "<" + b.target.aor + ">";
        b.nh = nua_handle(_nua, nullptr, SIPTAG_TO_STR(to.c_str()), SIPTAG_FROM_STR(to.c_str()), TAG_END());
        if (b.nh == nullptr) {
            b.next_ms = now_ms + retry_ms;
            continue;
        }
        b.next_ms = 0;
        b.answered_challenge = false;
        const std::string expires = std::to_string(b.target.expires_s);
        // Our Contact names the account, so the provider's INVITEs do; it
        // is given here, not by NUTAG_M_USERNAME, which would put the
        // account in every other dialog's Contact too. No outbound
        // (RFC 5626) extras: OPTIONS keepalives and Contact validation are
        // not what a trunk registrar expects.
        nua_register(b.nh, NUTAG_REGISTRAR(b.target.registrar.c_str()), SIPTAG_CONTACT_STR(b.target.contact.c_str()),
                     NUTAG_OUTBOUND("no-options-keepalive, no-validate, no-natify"),
                     SIPTAG_EXPIRES_STR(expires.c_str()), TAG_END());
    }
}

bool Registrations::response(nua_handle_t* nh, int status, void const* sip_v, int64_t now_ms)
{
    auto const* sip = static_cast<sip_t const*>(sip_v);
    for (Binding& b : _bindings) {
        if (b.nh != nh || nh == nullptr) {
            continue;
        }
        RegistrationCounters& c = _counters[b.target.trunk];
        if (status < 200) {
            return true;
        }
        c.last_status = status;
        ++c.sent;
        if (status < 300) {
            c.registered = true;
            ++c.succeeded;
            b.answered_challenge = false;  // the next refresh may be challenged again
            // RFC 3261 10.2.4: the binding's expiry is in its Contact's
            // expires parameter, else the Expires header.
            c.granted_expires_s = b.target.expires_s;
            if (sip != nullptr && sip->sip_contact != nullptr && sip->sip_contact->m_expires != nullptr) {
                c.granted_expires_s = static_cast<uint32_t>(std::strtoul(sip->sip_contact->m_expires, nullptr, 10));
            } else if (sip != nullptr && sip->sip_expires != nullptr) {
                c.granted_expires_s = static_cast<uint32_t>(sip->sip_expires->ex_delta);
            }
            return true;
        }
        if ((status == 401 || status == 407) && !b.answered_challenge) {
            const std::string answer = digest_answer(sip, b.target.credentials);
            if (!answer.empty()) {
                b.answered_challenge = true;
                ++c.challenges;
                nua_authenticate(nh, NUTAG_AUTH(answer.c_str()), TAG_END());
                return true;
            }
        }
        // Refused (or challenged again: wrong credentials): not
        // registered; try again later with a fresh handle.
        c.registered = false;
        ++c.failed;
        b.next_ms = now_ms + retry_ms;
        return true;
    }
    return false;
}

}  // namespace trunkgw::sip
