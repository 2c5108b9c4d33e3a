/** Who the provider says signed in, after every check passed. */
export interface VerifiedExternalIdentity {
  readonly provider: string;
  /** The provider's stable id for the account (`sub`, GitHub's numeric id): never an email or a login, which can change hands. */
  readonly subject: string;
  readonly email?: string;
  /** Whether the provider vouches that the account owns `email`. */
  readonly emailVerified?: boolean;
  readonly name?: string;
  /** A handle to propose a username from (`preferred_username`, GitHub login). */
  readonly handle?: string;
}

/** The per-flow secrets, derived from the browser's flow cookie (see sign-in-flows.ts). */
export interface FlowSecrets {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/**
 * One configured provider, whatever its protocol: OpenID Connect or plain
 * OAuth 2 (GitHub). Every call it makes to the provider goes through its
 * resilience policy.
 */
export interface SignInProvider {
  readonly id: string;
  readonly name: string;
  /** Where to send the browser: authorization code flow with PKCE (S256), state and, for OIDC, nonce. */
  authorizationUrl(redirectUri: string, flow: FlowSecrets): Promise<URL>;
  /**
   * Checks the callback (state, issuer), trades the code for tokens and
   * returns the verified identity; throws when any check fails.
   */
  finish(callbackUrl: URL, flow: FlowSecrets): Promise<VerifiedExternalIdentity>;
}
