// The synth floor: an aws-cdk-lib app with one empty stack, in plain JavaScript (nothing to
// transpile), so the floor is the least any CDK app pays: loading aws-cdk-lib, its built-in
// template validation, writing the cloud assembly.
const { App, Stack } = require('aws-cdk-lib');

const app = new App();
new Stack(app, 'Empty');
app.synth();
