/**
 * The Storage routes this stack answers, matched on method and path (after /storage/v1).
 * `b` is the bucket, `k` the object key (the rest of the path, percent-decoded).
 */
export type RouteName =
  | 'listBuckets' | 'getBucket' | 'createBucket' | 'updateBucket' | 'emptyBucket' | 'deleteBucket'
  | 'listObjects' | 'signObject' | 'getSignedObject' | 'getObjectInfo' | 'headObject' | 'headAuthenticatedObject'
  | 'getPublicObject' | 'getObject'
  | 'createObject' | 'updateObject' | 'deleteObjects' | 'deleteObject';

export interface RouteMatch { name: RouteName; params: { b?: string; k?: string } }

type Pattern = [method: string[], re: RegExp, name: RouteName];

const B = '([^/]+)';
const K = '(.+)';
const PATTERNS: Pattern[] = [
  [['GET'], /^\/bucket\/?$/, 'listBuckets'],
  [['POST'], /^\/bucket\/?$/, 'createBucket'],
  [['POST'], new RegExp(`^/bucket/${B}/empty/?$`), 'emptyBucket'],
  [['GET'], new RegExp(`^/bucket/${B}/?$`), 'getBucket'],
  [['PUT'], new RegExp(`^/bucket/${B}/?$`), 'updateBucket'],
  [['DELETE'], new RegExp(`^/bucket/${B}/?$`), 'deleteBucket'],
  [['POST'], new RegExp(`^/object/list/${B}/?$`), 'listObjects'],
  [['POST'], new RegExp(`^/object/sign/${B}/${K}$`), 'signObject'],
  [['GET', 'HEAD'], new RegExp(`^/object/sign/${B}/${K}$`), 'getSignedObject'],
  [['GET'], new RegExp(`^/object/info/(?:authenticated/)?${B}/${K}$`), 'getObjectInfo'],
  [['GET', 'HEAD'], new RegExp(`^/object/public/${B}/${K}$`), 'getPublicObject'],
  [['HEAD'], new RegExp(`^/object/authenticated/${B}/${K}$`), 'headAuthenticatedObject'],
  [['GET'], new RegExp(`^/object/authenticated/${B}/${K}$`), 'getObject'],
  [['HEAD'], new RegExp(`^/object/${B}/${K}$`), 'headObject'],
  [['GET'], new RegExp(`^/object/${B}/${K}$`), 'getObject'],
  [['POST'], new RegExp(`^/object/${B}/${K}$`), 'createObject'],
  [['PUT'], new RegExp(`^/object/${B}/${K}$`), 'updateObject'],
  [['DELETE'], new RegExp(`^/object/${B}/?$`), 'deleteObjects'],
  [['DELETE'], new RegExp(`^/object/${B}/${K}$`), 'deleteObject'],
];

function decode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

export function route(method: string, subpath: string): RouteMatch | undefined {
  for (const [methods, re, name] of PATTERNS) {
    if (!methods.includes(method)) continue;
    const m = re.exec(subpath);
    if (!m) continue;
    const b = m[1] === undefined ? undefined : decode(m[1]);
    const k = m[2] === undefined ? undefined : m[2].split('/').map(decode).join('/');
    return { name, params: { ...(b !== undefined && { b }), ...(k !== undefined && { k }) } };
  }
  return undefined;
}
