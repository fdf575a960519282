print("cnx-edge")
