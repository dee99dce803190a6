import { Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { NetworkConfig } from '../config/organization';
import { type StageNetwork, stageNetwork } from '../vpc-network';

/**
 * The interface endpoints a stage in VPC mode needs, by the AWS SDK client its functions call the
 * service with (`lambdas/`): each endpoint's service is `com.amazonaws.<region>.<name>`. S3, which
 * the functions call and SageMaker moves the jobs' data and the model's artifacts through, has a
 * gateway endpoint instead. Step Functions and EventBridge reach SageMaker from AWS's side.
 */
export const INTERFACE_ENDPOINTS: Readonly<Record<string, string>> = {
  '@aws-sdk/client-sagemaker': 'sagemaker.api',
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-ssm': 'ssm',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-cloudwatch': 'monitoring',
};
/** The client whose service has the gateway endpoint. */
export const GATEWAY_ENDPOINT_CLIENT = '@aws-sdk/client-s3';

export interface NetworkStackProps extends StackProps {
  readonly network: NetworkConfig;
  /** The config field, for errors: `stages[i].network`. */
  readonly field: string;
}

/**
 * A stage's VPC endpoints (`stages[].network.endpoints`), in the VPC looked up by id: the S3
 * gateway endpoint on the stage's subnets' route tables, and one interface endpoint per service
 * the functions call, with private DNS, in one of the stage's subnets per availability zone,
 * admitting HTTPS from the stage's security groups only. The data stack depends on it, so the
 * endpoints exist before any function of the stage runs, CDK's custom resources included.
 */
export class NetworkStack extends Stack {
  public readonly network: StageNetwork;
  public readonly problems: string[];

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const found = stageNetwork(this, props.network, props.field);
    this.network = found.network;
    this.problems = found.problems;
    const { vpc, subnets = [], placeholder } = this.network;
    if (!vpc) throw new Error(`${props.field}.endpoints needs vpcId (the schema requires it)`);
    // Until the CLI has looked the VPC up, nothing: it synthesizes the app again with the VPC.
    if (placeholder) {
      Validations.of(this).acknowledge({
        id: 'CloudFormation-Validate::F0001',
        reason: 'Empty only until the CDK CLI has looked the VPC up: it then synthesizes the app again, with the endpoints.',
      });
      return;
    }
    // A VPC shared through RAM: a participant account can create no endpoint in it, nor route in its tables.
    if (vpc.env.account !== this.account) {
      this.problems.push(
        `${props.field}.endpoints: expected a VPC of account ${this.account}, ${props.network.vpcId} is shared by account ${vpc.env.account}: its owner creates the endpoints (leave endpoints off)`,
      );
      return;
    }

    // One route-table entry per table: subnets may share a table, and a table takes one route per prefix list.
    const firstOf = (key: (s: ec2.ISubnet) => string) => subnets.filter((s, i) => subnets.findIndex((t) => key(t) === key(s)) === i);
    const byTable = firstOf((s) => s.routeTable.routeTableId);
    // An interface endpoint takes one subnet per availability zone (CDK's onePerAz does not apply to listed subnets).
    const byZone = firstOf((s) => s.availabilityZone);
    vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [{ subnets: byTable }] });

    const securityGroup = new ec2.SecurityGroup(this, 'EndpointsSecurityGroup', {
      vpc,
      description: `HTTPS to the VPC endpoints of ${id}, from the functions and SageMaker jobs of the stage`,
      allowAllOutbound: false,
    });
    for (const sg of props.network.securityGroupIds)
      securityGroup.addIngressRule(ec2.Peer.securityGroupId(sg), ec2.Port.tcp(443), `HTTPS from stage security group ${sg}`);
    for (const name of Object.values(INTERFACE_ENDPOINTS))
      vpc.addInterfaceEndpoint(`Endpoint-${name}`, {
        service: new ec2.InterfaceVpcEndpointAwsService(name),
        subnets: { subnets: byZone },
        securityGroups: [securityGroup],
        privateDnsEnabled: true,
        open: false,
      });
  }
}
