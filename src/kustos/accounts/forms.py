"""Password forms whose save goes through the one password service (rules, forced-change flag,
ending every session and token)."""

from __future__ import annotations

from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm

from kustos.accounts.services import passwords


class ServiceSetPasswordForm(SetPasswordForm):
    """The reset-link form: the new password ends all sessions and tokens."""

    reason = "password_reset"

    def save(self, commit: bool = True):
        return passwords.set_password(self.user, self.cleaned_data["new_password1"], actor=self.user,
                                      reason=self.reason)


class ServicePasswordChangeForm(PasswordChangeForm):
    """A signed-in user's own change (old password required); other sessions and tokens end."""

    def save(self, commit: bool = True):
        return passwords.set_password(self.user, self.cleaned_data["new_password1"], actor=self.user,
                                      reason="password_change")
