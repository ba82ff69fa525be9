/** esbuild bundles imported CSS into the stylesheet; the import itself has no value. */
declare module '*.css'
