import { jwtVerify } from 'jose';

/**
 * The edge runtime main service's JWT check (supabase/cli serve/templates/main.ts):
 * `Authorization: Bearer <jwt>`, HS256 with the project secret; only signature and
 * expiry matter, not the role. Answers are the runtime's own 401 bodies.
 */
export async function checkJwt(header: string | null, secret: CryptoKey): Promise<{ msg: string } | undefined> {
  if (!header) return { msg: 'Error: Missing authorization header' };
  const [bearer, token] = header.split(' ');
  if (bearer !== 'Bearer') return { msg: "Error: Auth header is not 'Bearer {token}'" };
  try {
    await jwtVerify(token ?? '', secret, { algorithms: ['HS256'] });
    return undefined;
  } catch {
    return { msg: 'Invalid JWT' };
  }
}
