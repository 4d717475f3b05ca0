/**
 * The two React hooks `react.ts` uses, declared so this package type-checks without
 * React installed. Applications with React get the real `@types/react` instead (this
 * file is not part of their program: nothing imports it).
 */
declare module 'react' {
  export function useMemo<T>(factory: () => T, deps: ReadonlyArray<unknown>): T;
  export function useSyncExternalStore<T>(subscribe: (onStoreChange: () => void) => () => void, getSnapshot: () => T, getServerSnapshot?: () => T): T;
}
