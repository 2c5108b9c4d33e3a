export { KaifTcpClient, type PushedPacket, type SentMessage, type TcpClientOptions, WireRefusedError } from './tcp-client.js';
