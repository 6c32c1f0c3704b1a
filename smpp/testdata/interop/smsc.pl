#!/usr/bin/perl
# A small SMSC written with Perl's Net::SMPP (Debian libnet-smpp-perl), an
# SMPP 3.4 implementation that is not Detour's: the peer of
# TestInteropWithNetSMPP (smpp/interop_test.go).
#
# It listens on 127.0.0.1 (port 0 picks a free one), accepts one
# connection and serves it:
#   bind_transceiver      checks system_id and password, answers
#                         bind_transceiver_resp (ESME_RINVSYSID,
#                         ESME_RINVPASWD on a mismatch); then sends one
#                         mobile-originated deliver_sm (esm_class 0, UCS-2)
#                         when --mo-text is given
#   submit_sm             answers submit_sm_resp with a new message id and,
#                         when registered_delivery asks for it, sends a
#                         delivery receipt as deliver_sm (esm_class 0x04,
#                         the appendix B text, receipted_message_id and
#                         message_state TLVs)
#   enquire_link          enquire_link_resp
#   unbind                unbind_resp, then exits 0
#   deliver_sm_resp       noted
#   anything else         generic_nack ESME_RINVCMDID
# End of stream before an unbind exits 2; no connection within --timeout
# seconds exits 3. (Net::SMPP's reads reset alarm(), so the session itself
# is bounded by whoever started the script.)
#
# Every event is one JSON line on stdout (flushed at once), so the test can
# follow the session as it happens:
#   {"event":"listening","addr":"127.0.0.1:40123"}
#   {"event":"bind","command":"bind_transceiver","system_id":...,"status":0,...}
#   {"event":"submit_sm","seq":2,"message_id":"5EED0001","destination_addr":...,
#    "data_coding":8,"short_message_hex":"041f...","tlvs":{"1060":"..."},...}
#   {"event":"deliver_sm","seq":1,"kind":"receipt","message_id":...,"short_message_hex":...}
#   {"event":"deliver_sm_resp","seq":1,"status":0}
#   {"event":"unbind","seq":7,"unanswered":0}
#   {"event":"eof"}
# Diagnostics from Net::SMPP itself go to stderr.
#
# Usage: perl smsc.pl [--port N] [--system-id ID] [--password PW]
#                     [--timeout SECONDS] [--mo-from ADDR --mo-to ADDR --mo-text UTF8TEXT]

use strict;
use warnings;

use Encode qw(decode encode);
use Getopt::Long qw(GetOptions);
use JSON::PP ();
use Net::SMPP;
use POSIX qw(strftime);

my %opt = (port => 0, 'system-id' => 'detour', password => 'secret', timeout => 30,
           'mo-from' => '447700900999', 'mo-to' => 'Detour');
GetOptions(\%opt, 'port=i', 'system-id=s', 'password=s', 'timeout=i',
           'mo-from=s', 'mo-to=s', 'mo-text=s') or exit 64;

$| = 1;
my $json = JSON::PP->new->canonical;
sub out { print $json->encode({@_}), "\n" }

# Status codes of SMPP 3.4 section 5.1.3.
use constant {
    ESME_ROK => 0x00, ESME_RINVBNDSTS => 0x04, ESME_RALYBND => 0x05,
    ESME_RINVCMDID => 0x03, ESME_RINVPASWD => 0x0E, ESME_RINVSYSID => 0x0F,
};

my $listen = Net::SMPP->new_listen('127.0.0.1', port => $opt{port}, timeout => $opt{timeout},
                                   listen => 1, system_id => 'perlsmsc')
    or die "listen: $!\n";
out(event => 'listening', addr => $listen->sockhost . ':' . $listen->sockport);

my $conn = $listen->accept or do { out(event => 'timeout', error => "$!"); exit 3 };
$listen->close;
out(event => 'connected', peer => $conn->peerhost . ':' . $conn->peerport);

my $bound = 0;
my $next_id = 0x5EED0000;
my %sent;    # seq of each deliver_sm not yet answered => its kind

# hexof returns the octets of a string as lower-case hex.
sub hexof { unpack 'H*', defined $_[0] ? $_[0] : '' }

# tlvs returns the optional parameters of a PDU as {numeric tag => hex};
# Net::SMPP stores each under its numeric tag (and under its name when
# known).
sub tlvs {
    my ($pdu) = @_;
    my %t;
    for my $k (keys %$pdu) {
        $t{$k} = hexof($pdu->{$k}) if $k =~ /^\d+$/;
    }
    return \%t;
}

# receipt_text returns the first 20 characters of a message for the text
# field of a receipt, printable ASCII only.
sub receipt_text {
    my ($sm, $dc) = @_;
    my $s = $dc == 8 ? decode('UTF-16BE', $sm) : $sm;
    $s = substr($s, 0, 20);
    $s =~ s/[^\x20-\x7e]/?/g;
    return $s;
}

# send_deliver sends a deliver_sm without waiting for its response (the
# main loop reads it); the arguments are Net::SMPP's, optional parameters
# last and in the order they go on the wire.
sub send_deliver {
    my ($kind, @args) = @_;
    my %a = @args;
    my $seq = $conn->deliver_sm(@args, async => 1);
    defined $seq or die "deliver_sm: write failed\n";
    $sent{$seq} = $kind;
    out(event => 'deliver_sm', seq => $seq + 0, kind => $kind,
        esm_class => $a{esm_class}, data_coding => $a{data_coding},
        source_addr => $a{source_addr}, destination_addr => $a{destination_addr},
        short_message_hex => hexof($a{short_message}),
        ($a{receipted_message_id} ? (message_id => unpack('Z*', $a{receipted_message_id})) : ()));
}

my %bind_resp = (
    Net::SMPP::CMD_bind_transceiver() => 'bind_transceiver_resp',
    Net::SMPP::CMD_bind_transmitter() => 'bind_transmitter_resp',
    Net::SMPP::CMD_bind_receiver()    => 'bind_receiver_resp',
);

while (1) {
    my $pdu = $conn->read_pdu;
    if (!$pdu) {
        out(event => 'eof', unanswered => scalar keys %sent);
        exit 2;
    }
    my $cmd = $pdu->{cmd};
    my $seq = $pdu->{seq} + 0;
    my $status = $pdu->{status} + 0;

    if (my $resp = $bind_resp{$cmd}) {
        $status = $bound ? ESME_RALYBND
            : $pdu->{system_id} ne $opt{'system-id'} ? ESME_RINVSYSID
            : $pdu->{password} ne $opt{password} ? ESME_RINVPASWD
            : ESME_ROK;
        $conn->$resp(seq => $seq, status => $status, system_id => 'perlsmsc');
        out(event => 'bind', command => $pdu->explain_cmd, seq => $seq, status => $status,
            system_id => $pdu->{system_id}, system_type => $pdu->{system_type},
            interface_version => $pdu->{interface_version},
            addr_ton => $pdu->{addr_ton}, addr_npi => $pdu->{addr_npi},
            address_range => $pdu->{address_range});
        next if $status != ESME_ROK;
        $bound = 1;
        if (defined $opt{'mo-text'}) {
            my $text = decode('UTF-8', $opt{'mo-text'});
            send_deliver('mo',
                source_addr_ton => 1, source_addr_npi => 1, source_addr => $opt{'mo-from'},
                dest_addr_ton => 5, dest_addr_npi => 0, destination_addr => $opt{'mo-to'},
                esm_class => 0x00, data_coding => 0x08,
                short_message => encode('UTF-16BE', $text));
        }
    }
    elsif ($cmd == Net::SMPP::CMD_submit_sm) {
        if (!$bound) {
            $conn->submit_sm_resp(seq => $seq, status => ESME_RINVBNDSTS, message_id => '');
            out(event => 'submit_sm', seq => $seq, status => ESME_RINVBNDSTS);
            next;
        }
        my $id = sprintf '%X', ++$next_id;
        my $submitted = strftime('%y%m%d%H%M', gmtime);
        $conn->submit_sm_resp(seq => $seq, message_id => $id);
        out(event => 'submit_sm', seq => $seq, status => ESME_ROK, message_id => $id,
            (map { $_ => $pdu->{$_} } qw(service_type source_addr destination_addr
                schedule_delivery_time validity_period)),
            (map { $_ => $pdu->{$_} + 0 } qw(source_addr_ton source_addr_npi dest_addr_ton
                dest_addr_npi esm_class protocol_id priority_flag registered_delivery
                replace_if_present_flag data_coding sm_default_msg_id)),
            sm_length => length $pdu->{short_message},
            short_message_hex => hexof($pdu->{short_message}),
            tlvs => tlvs($pdu));
        if (($pdu->{registered_delivery} & 0x03) == 1) {
            my $text = sprintf 'id:%s sub:001 dlvrd:001 submit date:%s done date:%s stat:DELIVRD err:000 text:%s',
                $id, $submitted, strftime('%y%m%d%H%M', gmtime),
                receipt_text($pdu->{short_message}, $pdu->{data_coding});
            send_deliver('receipt',
                source_addr_ton => $pdu->{dest_addr_ton}, source_addr_npi => $pdu->{dest_addr_npi},
                source_addr => $pdu->{destination_addr},
                dest_addr_ton => $pdu->{source_addr_ton}, dest_addr_npi => $pdu->{source_addr_npi},
                destination_addr => $pdu->{source_addr},
                esm_class => 0x04, data_coding => 0x00, short_message => $text,
                # Optional parameters go by name, their values as octets.
                receipted_message_id => "$id\0",
                message_state => pack('C', 2));    # DELIVERED
        }
    }
    elsif ($cmd == Net::SMPP::CMD_deliver_sm_resp) {
        my $kind = delete $sent{$seq};
        out(event => 'deliver_sm_resp', seq => $seq, status => $status,
            kind => defined $kind ? $kind : 'unexpected');
    }
    elsif ($cmd == Net::SMPP::CMD_enquire_link) {
        $conn->enquire_link_resp(seq => $seq);
        out(event => 'enquire_link', seq => $seq);
    }
    elsif ($cmd == Net::SMPP::CMD_unbind) {
        $conn->unbind_resp(seq => $seq);
        out(event => 'unbind', seq => $seq, unanswered => scalar keys %sent);
        $conn->close;
        exit 0;
    }
    elsif ($cmd == Net::SMPP::CMD_generic_nack) {
        out(event => 'generic_nack', seq => $seq, status => $status);
    }
    else {
        $conn->generic_nack(seq => $seq, status => ESME_RINVCMDID);
        out(event => 'unknown', seq => $seq, command_id => sprintf('0x%08x', $cmd));
    }
}
