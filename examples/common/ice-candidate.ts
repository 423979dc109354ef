/** An ICE candidate as browsers (RTCIceCandidate.toJSON) and Kurento (IceCandidate) both spell it. */
export interface IceCandidate {
  candidate: string;
  sdpMid: string;
  sdpMLineIndex: number;
}
