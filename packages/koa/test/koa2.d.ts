// The `koa2` alias (npm:koa@2) ships no types; @types/koa describes Koa 2 and 3 alike.
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
