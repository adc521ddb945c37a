// The `express4` npm alias (express@4) ships no types; Express 4's API is typed by @types/express as well.
declare module 'express4' {
  import express = require('express');
  export = express;
}
