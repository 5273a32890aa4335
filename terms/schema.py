"""OpenAPI description of the gated token authentication: the same scheme as knox's."""

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme


class TermsGatedTokenScheme(KnoxTokenScheme):
    target_class = "terms.authentication.TermsGatedTokenAuthentication"
    # accounts.api_auth.GatedTokenAuthentication adds the MFA gate on top; same scheme.
    match_subclasses = True
