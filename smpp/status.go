package smpp

import "strconv"

// Status is the command_status header field: zero in requests, the outcome
// in responses. The constants carry the SMPP 3.4 error codes (section
// 5.1.3) a gateway meets; String returns the specification's ESME_ name.
type Status uint32

// Command status values. The comment on each names the specification's
// constant.
const (
	StatusOK              Status = 0x00000000 // ESME_ROK: no error
	StatusInvMsgLen       Status = 0x00000001 // ESME_RINVMSGLEN: message length is invalid
	StatusInvCmdLen       Status = 0x00000002 // ESME_RINVCMDLEN: command length is invalid
	StatusInvCmdID        Status = 0x00000003 // ESME_RINVCMDID: invalid command id
	StatusInvBndSts       Status = 0x00000004 // ESME_RINVBNDSTS: incorrect bind status for the command
	StatusAlyBnd          Status = 0x00000005 // ESME_RALYBND: already bound
	StatusInvPrtFlg       Status = 0x00000006 // ESME_RINVPRTFLG: invalid priority flag
	StatusInvRegDlvFlg    Status = 0x00000007 // ESME_RINVREGDLVFLG: invalid registered delivery flag
	StatusSysErr          Status = 0x00000008 // ESME_RSYSERR: system error
	StatusInvSrcAdr       Status = 0x0000000A // ESME_RINVSRCADR: invalid source address
	StatusInvDstAdr       Status = 0x0000000B // ESME_RINVDSTADR: invalid destination address
	StatusInvMsgID        Status = 0x0000000C // ESME_RINVMSGID: message id is invalid
	StatusBindFail        Status = 0x0000000D // ESME_RBINDFAIL: bind failed
	StatusInvPaswd        Status = 0x0000000E // ESME_RINVPASWD: invalid password
	StatusInvSysID        Status = 0x0000000F // ESME_RINVSYSID: invalid system id
	StatusMsgQFul         Status = 0x00000014 // ESME_RMSGQFUL: message queue full
	StatusInvSerTyp       Status = 0x00000015 // ESME_RINVSERTYP: invalid service type
	StatusInvEsmClass     Status = 0x00000043 // ESME_RINVESMCLASS: invalid esm_class
	StatusSubmitFail      Status = 0x00000045 // ESME_RSUBMITFAIL: submit_sm or submit_multi failed
	StatusInvSrcTON       Status = 0x00000048 // ESME_RINVSRCTON: invalid source address TON
	StatusInvSrcNPI       Status = 0x00000049 // ESME_RINVSRCNPI: invalid source address NPI
	StatusInvDstTON       Status = 0x00000050 // ESME_RINVDSTTON: invalid destination address TON
	StatusInvDstNPI       Status = 0x00000051 // ESME_RINVDSTNPI: invalid destination address NPI
	StatusInvSysTyp       Status = 0x00000053 // ESME_RINVSYSTYP: invalid system_type
	StatusThrottled       Status = 0x00000058 // ESME_RTHROTTLED: throttling error, too many messages
	StatusInvSched        Status = 0x00000061 // ESME_RINVSCHED: invalid scheduled delivery time
	StatusInvExpiry       Status = 0x00000062 // ESME_RINVEXPIRY: invalid validity period
	StatusInvDftMsgID     Status = 0x00000063 // ESME_RINVDFTMSGID: predefined message invalid or not found
	StatusXTAppn          Status = 0x00000064 // ESME_RX_T_APPN: receiver temporary application error
	StatusXPAppn          Status = 0x00000065 // ESME_RX_P_APPN: receiver permanent application error
	StatusXRAppn          Status = 0x00000066 // ESME_RX_R_APPN: receiver reject message error
	StatusQueryFail       Status = 0x00000067 // ESME_RQUERYFAIL: query_sm failed
	StatusInvOptParStream Status = 0x000000C0 // ESME_RINVOPTPARSTREAM: error in the optional part of the body
	StatusOptParNotAllwd  Status = 0x000000C1 // ESME_ROPTPARNOTALLWD: optional parameter not allowed
	StatusInvParLen       Status = 0x000000C2 // ESME_RINVPARLEN: invalid parameter length
	StatusMissingOptParam Status = 0x000000C3 // ESME_RMISSINGOPTPARAM: expected optional parameter missing
	StatusInvOptParamVal  Status = 0x000000C4 // ESME_RINVOPTPARAMVAL: invalid optional parameter value
	StatusDeliveryFailure Status = 0x000000FE // ESME_RDELIVERYFAILURE: delivery failure (data_sm_resp)
	StatusUnknownErr      Status = 0x000000FF // ESME_RUNKNOWNERR: unknown error
	StatusInvDCS          Status = 0x00000104 // ESME_RINVDCS: invalid data coding scheme (SMPP 5.0; some 3.4 SMSCs send it)
)

// String returns the specification's name of s ("ESME_RTHROTTLED"), or its
// hex value if the package does not know it.
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ESME_ROK"
	case StatusInvMsgLen:
		return "ESME_RINVMSGLEN"
	case StatusInvCmdLen:
		return "ESME_RINVCMDLEN"
	case StatusInvCmdID:
		return "ESME_RINVCMDID"
	case StatusInvBndSts:
		return "ESME_RINVBNDSTS"
	case StatusAlyBnd:
		return "ESME_RALYBND"
	case StatusInvPrtFlg:
		return "ESME_RINVPRTFLG"
	case StatusInvRegDlvFlg:
		return "ESME_RINVREGDLVFLG"
	case StatusSysErr:
		return "ESME_RSYSERR"
	case StatusInvSrcAdr:
		return "ESME_RINVSRCADR"
	case StatusInvDstAdr:
		return "ESME_RINVDSTADR"
	case StatusInvMsgID:
		return "ESME_RINVMSGID"
	case StatusBindFail:
		return "ESME_RBINDFAIL"
	case StatusInvPaswd:
		return "ESME_RINVPASWD"
	case StatusInvSysID:
		return "ESME_RINVSYSID"
	case StatusMsgQFul:
		return "ESME_RMSGQFUL"
	case StatusInvSerTyp:
		return "ESME_RINVSERTYP"
	case StatusInvEsmClass:
		return "ESME_RINVESMCLASS"
	case StatusSubmitFail:
		return "ESME_RSUBMITFAIL"
	case StatusInvSrcTON:
		return "ESME_RINVSRCTON"
	case StatusInvSrcNPI:
		return "ESME_RINVSRCNPI"
	case StatusInvDstTON:
		return "ESME_RINVDSTTON"
	case StatusInvDstNPI:
		return "ESME_RINVDSTNPI"
	case StatusInvSysTyp:
		return "ESME_RINVSYSTYP"
	case StatusThrottled:
		return "ESME_RTHROTTLED"
	case StatusInvSched:
		return "ESME_RINVSCHED"
	case StatusInvExpiry:
		return "ESME_RINVEXPIRY"
	case StatusInvDftMsgID:
		return "ESME_RINVDFTMSGID"
	case StatusXTAppn:
		return "ESME_RX_T_APPN"
	case StatusXPAppn:
		return "ESME_RX_P_APPN"
	case StatusXRAppn:
		return "ESME_RX_R_APPN"
	case StatusQueryFail:
		return "ESME_RQUERYFAIL"
	case StatusInvOptParStream:
		return "ESME_RINVOPTPARSTREAM"
	case StatusOptParNotAllwd:
		return "ESME_ROPTPARNOTALLWD"
	case StatusInvParLen:
		return "ESME_RINVPARLEN"
	case StatusMissingOptParam:
		return "ESME_RMISSINGOPTPARAM"
	case StatusInvOptParamVal:
		return "ESME_RINVOPTPARAMVAL"
	case StatusDeliveryFailure:
		return "ESME_RDELIVERYFAILURE"
	case StatusUnknownErr:
		return "ESME_RUNKNOWNERR"
	case StatusInvDCS:
		return "ESME_RINVDCS"
	}
	return "command_status(0x" + strconv.FormatUint(uint64(s), 16) + ")"
}
