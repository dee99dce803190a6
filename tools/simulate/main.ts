/**
 * `npm run simulate [-- -c config=path.json] [--data my.csv] [--pipeline name]`: the whole model
 * lifecycle offline, on the synthesized app and real data. See README "Try it offline".
 */
import './quiet';
import '../../offline/polyfills';
import { ML_PYTHON_INSTALL, mlPythonProblem } from '../../offline/python';
import { playStory } from './story';

const argv = process.argv.slice(2);
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);

/** `--config path` or, as with the CDK CLI, `-c config=path`. */
function configFile(): string | undefined {
  const c = argv.findIndex((a, j) => a === '-c' && argv[j + 1]?.startsWith('config='));
  return c >= 0 ? argv[c + 1]!.slice('config='.length) : option('--config');
}

const missing = mlPythonProblem();
if (missing) {
  console.error(`simulate: the SageMaker jobs run ml/*.py locally, but ${missing}. Install: ${ML_PYTHON_INSTALL} (or see README "Testing" for a virtualenv)`);
  process.exit(1);
}

playStory({ configFile: configFile(), dataFile: option('--data'), pipeline: option('--pipeline'), print: (line) => console.log(line) }).catch((e) => {
  console.error(process.env.DEBUG ? e : `simulate: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
