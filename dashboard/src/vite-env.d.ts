/// <reference types="geojson" />
/** Vite's `?url` imports: the emitted file's public URL. */
declare module '*?url' {
  const url: string;
  export default url;
}
