// ESLint looks up the configuration from each file's directory: this one is the repository's
// own, less the generated code and the build output of this package.
import root from '../../eslint.config.js';

export default [{ ignores: ['src/gen/', 'dist/'] }, ...root];
